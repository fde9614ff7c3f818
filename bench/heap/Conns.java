import java.io.*;
import java.net.*;
import java.util.*;

/** Opens N loopback connections to its own server and keeps them open; on each line from stdin, one byte each way on all. */
public class Conns {
    public static void main(String[] a) throws Exception {
        int n = Integer.parseInt(a[0]);
        int port = Integer.parseInt(a[1]);
        List<Socket> client = new ArrayList<>();
        System.out.println("READY port=" + port);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.equals("open")) {
                for (int i = 0; i < n; i++) {
                    client.add(new Socket(InetAddress.getLoopbackAddress(), port));
                }
            } else if (line.equals("ping")) {
                for (int i = 0; i < client.size(); i++) {
                    client.get(i).getOutputStream().write(1);
                    client.get(i).getInputStream().read();
                }
            } else if (line.equals("close")) {
                for (Socket s : client) s.close();
                client.clear();
            }
            System.out.println("DONE " + line + " " + client.size());
        }
    }
}
