package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.cli.Main;
import io.chartgate.helm.SampleRepository;
import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.HelmCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loop the README documents: issue a certificate with {@code chartgate certs}, {@code helm repo add} works,
 * {@code certs revoke}, and the running gateway refuses that certificate within its watch interval, with no
 * restart and no other client affected.
 */
class CertsLoopIT {

    @TempDir
    Path dir;

    private void certs(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "certs";
        System.arraycopy(args, 0, all, 1, args.length);
        StringWriter out = new StringWriter();
        int code = Main.execute(all, Map.of(), new PrintWriter(out), new PrintWriter(out));
        assertEquals(0, code, out::toString);
    }

    @Test
    void aRevokedCertificateIsRefusedByTheRunningGatewayWithinTheWatchInterval() {
        String ca = dir.resolve("ca").toString();
        certs("init-ca", "--dir", ca);
        certs("issue", "--dir", ca, "server", "--cn", "localhost", "--san-dns", "localhost", "--san-ip", "127.0.0.1");
        certs("issue", "--dir", ca, "client", "--cn", "alice", "--ou", "engineering");
        certs("issue", "--dir", ca, "client", "--cn", "bob", "--ou", "engineering");
        SampleRepository.write(dir.resolve("charts"));
        try (GatewayHarness gateway = GatewayHarness.start(dir, """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: ca/localhost.crt, keyFile: ca/localhost.key, clientCaFile: ca/ca.crt, crlFiles: [ca/ca.crl] }
                admin: { port: 0 }
                routes: [{ name: charts, prefix: /, upstream: { type: file, dir: charts } }]
                reload: { watchIntervalSeconds: 1 }
                policy: { rules: [{ name: engineering, match: { ou: engineering }, read: ["/**"] }] }
                """)) {
            HelmCli helm = HelmCli.of("4", dir.resolve("helm"));
            assertTrue(add(helm, gateway, "alice").ok());
            assertTrue(add(helm, gateway, "bob").ok());
            certs("revoke", "--dir", ca, "--cert", dir.resolve("ca/bob.crt").toString(), "--reason", "keyCompromise");
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            HelmCli.Result bob;
            while (!(bob = add(helm, gateway, "bob")).output().contains("remote error: tls: revoked certificate")) {
                assertTrue(System.nanoTime() < deadline, () -> "bob was not refused within 15 s: " + add(helm, gateway, "bob"));
                LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
            }
            HelmCli.Result alice = add(helm, gateway, "alice");
            assertTrue(alice.ok(), alice::toString);
        }
    }

    private HelmCli.Result add(HelmCli helm, GatewayHarness gateway, String who) {
        return helm.run(dir, "repo", "add", "--force-update", who, gateway.url(""), "--cert-file",
                dir.resolve("ca/" + who + ".crt").toString(), "--key-file", dir.resolve("ca/" + who + ".key").toString(),
                "--ca-file", dir.resolve("ca/ca.crt").toString());
    }
}
