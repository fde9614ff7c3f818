package io.wiretrace.analysis.redact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** What the rules hide of names, values and command lines, and what they must leave alone. */
class SecretsTest {
    @ParameterizedTest
    @ValueSource(strings = {"DB_PASSWORD", "db.password", "-Dapp.db.password", "--db.password", "db.pw", "DB_PW", "dbPw",
        "db.pwd", "MYSQL_PWD", "db.passwd", "passphrase", "SENTRY_DSN", "dsn", "API_KEY", "apiKey", "x-api-key", "api.key",
        "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "aws.accessKey", "client_secret", "bearer", "BEARER_TOKEN",
        "app.credentials", "PRIVATE_KEY", "ssh.private.key", "OAUTH_CLIENT_SECRET", "authToken", "Authorization",
        "JSESSIONID", "session_id", "cookie", "ConnectionStrings__Default", "JWT", "app.jwt.key"})
    void secretNames(String name) {
        assertTrue(Secrets.isSecretName(name), name);
        assertEquals(Secrets.REDACTED, Secrets.value(name, "x y"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"PATH", "HOME", "USER", "LANG", "SHELL", "HOSTNAME", "TERM", "TZ", "JAVA_HOME", "PWD", "OLDPWD",
        "LD_LIBRARY_PATH", "MAVEN_OPTS", "java.class.path", "java.home", "keystore.path", "server.port", "user.dir",
        "file.encoding", "sun.java.command", "spring.application.json", "SPRING_APPLICATION_JSON", "https.proxyHost",
        "DISPLAY", "KEYSTORE_TYPE", "java.vm.version", "spring.datasource.url", "DATABASE_URL", "HTTPWORKERS"})
    void harmlessNames(String name) {
        assertFalse(Secrets.isSecretName(name), name);
        assertEquals("/usr/bin", Secrets.value(name, "/usr/bin"));
    }

    static Stream<Arguments> texts() {
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
                Arguments.of("/usr/lib/jvm/java-17/bin/java", "/usr/lib/jvm/java-17/bin/java"),
                Arguments.of("{\"server\":{\"port\":8080}}", "{\"server\":{\"port\":8080}}"),
                // name=value with a secret name, whatever its case and separators
                Arguments.of("-Ddb.password=s3cret -Xss1m", "-Ddb.password=<redacted> -Xss1m"),
                Arguments.of("-Dspring.datasource.PASSWORD=x", "-Dspring.datasource.PASSWORD=<redacted>"),
                Arguments.of("-Dhttp.proxyPassword=x -Dpasswd=y -Dpassphrase=z",
                        "-Dhttp.proxyPassword=<redacted> -Dpasswd=<redacted> -Dpassphrase=<redacted>"),
                Arguments.of("--api-key=abc123 API_KEY=abc apikey=q", "--api-key=<redacted> API_KEY=<redacted> apikey=<redacted>"),
                Arguments.of("-Daws.accessKey=AKIA -Dapp.private_key=/k -Dclient.credentials=c -Dpwd=p",
                        "-Daws.accessKey=<redacted> -Dapp.private_key=<redacted> -Dclient.credentials=<redacted> -Dpwd=<redacted>"),
                Arguments.of("--db.password=x --db.pw=y --sentry.dsn=https://k@o.ingest/1 --bearer=z",
                        "--db.password=<redacted> --db.pw=<redacted> --sentry.dsn=<redacted> --bearer=<redacted>"),
                Arguments.of("--password=", "--password=<redacted>"),
                // a value with spaces: the words up to the next option
                Arguments.of("-Ddb.password=correct horse battery -Xmx1g", "-Ddb.password=<redacted> <redacted> <redacted> -Xmx1g"),
                Arguments.of("GITHUB_TOKEN=ghp_x a b PORT=80", "GITHUB_TOKEN=<redacted> <redacted> <redacted> PORT=80"),
                // the words after a secret flag
                Arguments.of("--password hunter2 --port 80", "--password <redacted> --port 80"),
                Arguments.of("--token abc --auth-token def -v", "--token <redacted> --auth-token <redacted> -v"),
                Arguments.of("--password two words", "--password <redacted> <redacted>"),
                Arguments.of("--password", "--password"),
                // passwords in URLs, also inside a value whose name says nothing
                Arguments.of("--upstream http://user:pa55@host:80/x", "--upstream http://user:<redacted>@host:80/x"),
                Arguments.of("-Ddb.url=jdbc:postgresql://app:pw@db:5432/shop",
                        "-Ddb.url=jdbc:postgresql://app:<redacted>@db:5432/shop"),
                Arguments.of("-Dspring.datasource.url=jdbc:postgresql://u:p@h/db",
                        "-Dspring.datasource.url=jdbc:postgresql://u:<redacted>@h/db"),
                Arguments.of("REDIS_URL=redis://:s3cr3t@cache:6379/0", "REDIS_URL=redis://:<redacted>@cache:6379/0"),
                Arguments.of("amqp://u:p@ss@mq/vhost", "amqp://u:<redacted>@mq/vhost"), // an @ in the password
                // Oracle's user/password@host
                Arguments.of("-Ddb=jdbc:oracle:thin:scott/tiger@//db:1521/orcl", "-Ddb=jdbc:oracle:thin:scott/<redacted>@//db:1521/orcl"),
                Arguments.of("sqlplus scott/tiger@orcl", "sqlplus scott/<redacted>@orcl"),
                // and in a URL's query
                Arguments.of("-Ddb.url=jdbc:mysql://h/db?user=u&password=x&ssl=true",
                        "-Ddb.url=jdbc:mysql://h/db?user=u&password=<redacted>&ssl=true"),
                Arguments.of("-Dhook=https://h/x?a=1;token=t;apiKey=k", "-Dhook=https://h/x?a=1;token=<redacted>;apiKey=<redacted>"),
                Arguments.of("--cb=https://h/x?access_token=t&api_key=k&page=2",
                        "--cb=https://h/x?access_token=<redacted>&api_key=<redacted>&page=2"),
                Arguments.of("https://h/x?token=t;a=1", "https://h/x?token=<redacted>"), // the word reads as name=value
                // JSON values under secret names, any JSON in a value
                Arguments.of("-Dspring.application.json={\"spring\":{\"datasource\":{\"password\":\"p w\",\"url\":\"x\"}}}",
                        "-Dspring.application.json={\"spring\":{\"datasource\":{\"password\":\"<redacted>\",\"url\":\"x\"}}}"),
                Arguments.of("{\"apiKey\": \"a\\\"b\", \"pin\": 1234, \"user\": \"bob\"}",
                        "{\"apiKey\": \"<redacted>\", \"pin\": <redacted>, \"user\": \"bob\"}"),
                // a bearer token wherever it is
                Arguments.of("--header=Authorization:Bearer abc.def", "--header=Authorization:Bearer <redacted>"),
                // any whitespace separates words; a -D or -X switch without a value takes no word
                Arguments.of("--password\thunter2", "--password\t<redacted>"),
                Arguments.of("-Dauth.disabled main.jar", "-Dauth.disabled main.jar"),
                // Over-redaction, intended: "auth" is a secret name's part (auth, authToken, oauth), so
                // names that merely contain it lose their value too. Better a lost value than a leaked one.
                Arguments.of("-Dauthor.name=x", "-Dauthor.name=<redacted>"));
    }

    @ParameterizedTest
    @MethodSource("texts")
    void redactsSecretsOnly(String in, String expected) {
        assertEquals(expected, Secrets.redact(in));
    }

    /** The texts with something to mask: all but an empty value, which redact() marks and mask() cannot. */
    static Stream<Arguments> maskable() {
        return texts().filter(a -> !((String) a.get()[0]).endsWith("="));
    }

    @ParameterizedTest
    @MethodSource("maskable")
    void masksTheSameCharactersKeepingTheLength(String in, String redacted) {
        String masked = Secrets.mask(null, in);
        assertEquals(in.length(), masked.length());
        assertEquals(in.equals(redacted), in.equals(masked), masked);
        assertFalse(in.contains("hunter2") && masked.contains("hunter2"), masked);
    }

    @Test
    void aSecretNameMasksTheWholeValue() {
        assertEquals("*****", Secrets.mask("DB_PASSWORD", "a b c"));
        assertEquals("/bin", Secrets.mask("PATH", "/bin"));
    }

    @Test
    void nullStaysNull() {
        assertNull(Secrets.redact(null));
        assertNull(Secrets.value("PASSWORD", null));
        assertNull(Secrets.mask("x", null));
    }

    @Test
    void controlCharactersBecomeVisible() {
        assertEquals("a?[31mred?\nb?c?d?e", Terminal.printable("a\u001b[31mred\r\nb\u007fc\u009bd\u202ee"));
        String plain = "GET /x 200\n\tno";
        assertEquals("GET /x 200\n?no", Terminal.printable(plain));
        assertEquals("żółw", Terminal.printable("żółw"));
        assertNull(Terminal.printable(null));
    }
}
