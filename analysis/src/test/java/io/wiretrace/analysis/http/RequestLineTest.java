package io.wiretrace.analysis.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What of a request target is recorded: no query, no path parameters, no userinfo. */
class RequestLineTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/stock/42|/stock/42",
        "/|/",
        "*|*",
        "/a?token=t&password=p|/a?…",
        "/cart;jsessionid=ABC123|/cart;…",
        "/cart;jsessionid=ABC123/items;v=1;w=2/x|/cart;…/items;…/x",
        "/a;b=c?d=e;f|/a;…?…",
        "http://user:pw@host:8080/x|http://host:8080/x",
        "https://:pw@host|https://host",
        "http://token@host/x?y|http://host/x?…",
        "http://host/a@b|http://host/a@b", // an @ in the path is no userinfo
        "HTTP://u:p@h/;x|HTTP://h/;…",
        "host.example:443|host.example:443", // CONNECT's authority form
        "/x:y//z|/x:y//z",
        "/;…/?…|/;…/?…", // as recorded once: the same again
    })
    void recordsTheTargetWithoutSecrets(String raw, String recorded) {
        assertEquals(recorded, RequestLine.target(raw));
        assertEquals(recorded, RequestLine.target(recorded));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "GET /login;jsessionid=X HTTP/1.1|GET /login;…",
        "GET http://u:p@h/x?q HTTP/1.1|GET http://h/x?…",
    })
    void aPayloadsRequestLineToo(String line, String recorded) {
        assertEquals(recorded, RequestLine.parse(line, true));
        assertNull(RequestLine.parse("HTTP/1.1 200 OK", true));
    }
}
