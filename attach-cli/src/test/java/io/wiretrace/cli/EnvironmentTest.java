package io.wiretrace.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What environment.txt hides of the target's command line, and what it must leave alone. */
class EnvironmentTest {
    static Stream<Arguments> commandLines() {
        return Stream.of(
                // left alone
                Arguments.of("-Xmx2g -Dserver.port=8080 -jar shop.jar", "-Xmx2g -Dserver.port=8080 -jar shop.jar"),
                Arguments.of("--upstream http://host:80/x", "--upstream http://host:80/x"),
                Arguments.of("--upstream https://user@host/x", "--upstream https://user@host/x"),
                Arguments.of("-Dkeystore.path=/etc/k.jks", "-Dkeystore.path=/etc/k.jks"),
                Arguments.of("-Dhome=/home/author", "-Dhome=/home/author"), // only the name decides, not the value
                Arguments.of("--password --verbose", "--password --verbose"), // a flag is not the password
                Arguments.of("a  b ", "a  b "),
                Arguments.of("", ""),
                // name=value with a secret name, whatever its case and separators
                Arguments.of("-Ddb.password=s3cret -Xss1m", "-Ddb.password=<redacted> -Xss1m"),
                Arguments.of("-Dspring.datasource.PASSWORD=x", "-Dspring.datasource.PASSWORD=<redacted>"),
                Arguments.of("-Dhttp.proxyPassword=x -Dpasswd=y -Dpassphrase=z",
                        "-Dhttp.proxyPassword=<redacted> -Dpasswd=<redacted> -Dpassphrase=<redacted>"),
                Arguments.of("--api-key=abc123 API_KEY=abc apikey=q", "--api-key=<redacted> API_KEY=<redacted> apikey=<redacted>"),
                Arguments.of("-Daws.accessKey=AKIA -Dapp.private_key=/k -Dclient.credentials=c -Dpwd=p",
                        "-Daws.accessKey=<redacted> -Dapp.private_key=<redacted> -Dclient.credentials=<redacted> -Dpwd=<redacted>"),
                Arguments.of("GITHUB_TOKEN=ghp_x -Dsecret.ref=a main", "GITHUB_TOKEN=<redacted> -Dsecret.ref=<redacted> main"),
                Arguments.of("--password=", "--password=<redacted>"),
                // the word after a secret flag
                Arguments.of("--password hunter2 --port 80", "--password <redacted> --port 80"),
                Arguments.of("--token abc --auth-token def -v", "--token <redacted> --auth-token <redacted> -v"),
                Arguments.of("--password", "--password"),
                // passwords in URLs, also inside a value whose name says nothing
                Arguments.of("--upstream http://user:pa55@host:80/x", "--upstream http://user:<redacted>@host:80/x"),
                Arguments.of("-Ddb.url=jdbc:postgresql://app:pw@db:5432/shop",
                        "-Ddb.url=jdbc:postgresql://app:<redacted>@db:5432/shop"),
                // and in a URL's query
                Arguments.of("-Ddb.url=jdbc:mysql://h/db?user=u&password=x&ssl=true",
                        "-Ddb.url=jdbc:mysql://h/db?user=u&password=<redacted>&ssl=true"),
                Arguments.of("-Dhook=https://h/x?a=1;token=t;apiKey=k", "-Dhook=https://h/x?a=1;token=<redacted>;apiKey=<redacted>"),
                Arguments.of("https://h/x?token=t;a=1", "https://h/x?token=<redacted>"), // the word reads as name=value
                // any whitespace separates words; a -D or -X switch without a value takes no word
                Arguments.of("--password\thunter2", "--password\t<redacted>"),
                Arguments.of("-Dauth.disabled main.jar", "-Dauth.disabled main.jar"),
                // Over-redaction, intended: "auth" is a secret name's part (auth, authToken, oauth), so
                // names that merely contain it lose their value too. Better a lost value than a leaked one.
                Arguments.of("-Dauthor.name=x", "-Dauthor.name=<redacted>"));
    }

    @ParameterizedTest
    @MethodSource("commandLines")
    void redactsSecretsOnly(String in, String expected) {
        assertEquals(expected, Environment.redact(in));
    }

    @Test
    void nullStaysNull() {
        assertNull(Environment.redact(null));
        assertEquals("<redacted>", Environment.REDACTED);
    }
}
