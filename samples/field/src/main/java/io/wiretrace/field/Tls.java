package io.wiretrace.field;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** TLS for an app that is both server and client, from one PKCS12 keystore: the key it presents, and the trust in it. */
final class Tls {
    final SSLContext server;
    final SSLContext client;
    final X509TrustManager trust;

    Tls(String keystore, String password) throws Exception {
        char[] secret = password.toCharArray();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(Paths.get(keystore))) {
            keys.load(in, secret);
        }
        KeyManagerFactory km = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        km.init(keys, secret);
        TrustManagerFactory tm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tm.init(keys);
        server = SSLContext.getInstance("TLS");
        server.init(km.getKeyManagers(), null, null);
        client = SSLContext.getInstance("TLS");
        client.init(null, tm.getTrustManagers(), null);
        trust = (X509TrustManager) tm.getTrustManagers()[0];
    }
}
