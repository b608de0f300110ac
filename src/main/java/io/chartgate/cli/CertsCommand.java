package io.chartgate.cli;

import io.chartgate.tls.CaDirectory;
import io.chartgate.tls.CertificateRequest;
import io.chartgate.tls.KeyType;
import io.chartgate.tls.PemLoader;
import io.chartgate.tls.TlsException;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code chartgate certs …}: a small certificate authority in a directory, for gateways that have none: make
 * the CA, issue client and server certificates, revoke them (a running gateway sees the new CRL within its
 * watch interval) and list them. Passwords come from environment variables, never from the command line.
 */
@Command(name = "certs", mixinStandardHelpOptions = true, description = "A certificate authority for chartgate's clients.",
        subcommands = {CertsCommand.InitCa.class, CertsCommand.Issue.class, CertsCommand.Revoke.class, CertsCommand.Crl.class,
                CertsCommand.ListCerts.class})
final class CertsCommand {

    /** Where the CA lives, and the variable holding its key's password, shared by every subcommand. */
    static class CaOptions {
        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The CA directory (ca.crt, ca.key, ca.crl).")
        Path dir;

        @Option(names = "--ca-key-password-env", paramLabel = "VAR",
                description = "Environment variable holding the CA key's password (the key is encrypted when given).")
        String caKeyPasswordEnv;

        @Option(names = "--crl-days", defaultValue = "30", description = "How long a CRL written now is valid (default: ${DEFAULT-VALUE}).")
        int crlDays;

        char[] caKeyPassword(CliContext context) {
            return password(context, caKeyPasswordEnv);
        }
    }

    static char[] password(CliContext context, String variable) {
        if (variable == null) {
            return null;
        }
        String value = context.env().get(variable);
        if (value == null || value.isEmpty()) {
            throw new CommandLine.ParameterException(new CommandLine(new Object()), "environment variable " + variable + " is not set");
        }
        return value.toCharArray();
    }

    @Command(name = "init-ca", mixinStandardHelpOptions = true, description = "Create a CA and an empty CRL.")
    static final class InitCa implements Callable<Integer> {
        private final CliContext context;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        CaOptions ca;

        @Option(names = "--cn", defaultValue = "chartgate client CA", description = "The CA's common name (default: ${DEFAULT-VALUE}).")
        String cn;

        @Option(names = "--rsa", description = "An RSA-4096 key instead of EC P-256.")
        boolean rsa;

        @Option(names = "--days", defaultValue = "3650", description = "Validity in days (default: ${DEFAULT-VALUE}).")
        int days;

        InitCa(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() throws IOException {
            CaDirectory.init(ca.dir, cn, rsa ? KeyType.RSA_4096 : KeyType.EC_P256, days, ca.caKeyPassword(context),
                    Duration.ofDays(ca.crlDays));
            PrintWriter out = spec.commandLine().getOut();
            out.println("created CA \"CN=" + cn + "\" in " + ca.dir + " (ca.crt, ca.key, ca.crl)");
            out.println("use it as server.tls.clientCaFile: " + ca.dir.resolve(CaDirectory.CA_CERT)
                    + " and server.tls.crlFiles: [" + ca.dir.resolve(CaDirectory.CA_CRL) + "]");
            return 0;
        }
    }

    @Command(name = "issue", mixinStandardHelpOptions = true, description = "Issue a client or server certificate.")
    static final class Issue implements Callable<Integer> {
        private final CliContext context;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        CaOptions ca;

        @Parameters(index = "0", paramLabel = "client|server", description = "What the certificate is for.")
        String usage;

        @Option(names = "--cn", required = true, description = "The common name (a client's principal).")
        String cn;

        @Option(names = "--ou", description = "An organizational unit (repeatable).")
        List<String> ou = new ArrayList<>();

        @Option(names = "--o", description = "An organization (repeatable).")
        List<String> o = new ArrayList<>();

        @Option(names = "--san-dns", description = "A DNS subject alternative name (repeatable).")
        List<String> sanDns = new ArrayList<>();

        @Option(names = "--san-ip", description = "An IP subject alternative name (repeatable).")
        List<String> sanIp = new ArrayList<>();

        @Option(names = "--san-uri", description = "A URI subject alternative name (repeatable).")
        List<String> sanUri = new ArrayList<>();

        @Option(names = "--san-email", description = "An email subject alternative name (repeatable).")
        List<String> sanEmail = new ArrayList<>();

        @Option(names = "--days", defaultValue = "365", description = "Validity in days (default: ${DEFAULT-VALUE}).")
        int days;

        @Option(names = "--rsa", description = "An RSA-2048 key instead of EC P-256.")
        boolean rsa;

        @Option(names = "--out", paramLabel = "BASE", description = "Path without extension for the files (default: DIR/CN).")
        Path out;

        @Option(names = "--key-password-env", paramLabel = "VAR",
                description = "Encrypt the key with this variable's value (server keys only: helm cannot read encrypted client keys).")
        String keyPasswordEnv;

        @Option(names = "--p12", description = "Also write a PKCS#12 file.")
        boolean p12;

        @Option(names = "--p12-password-env", paramLabel = "VAR", description = "The PKCS#12 password's variable (default: empty password).")
        String p12PasswordEnv;

        Issue(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() throws IOException, TlsException {
            if (!usage.equals("client") && !usage.equals("server")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "expected client or server, not \"" + usage + "\"");
            }
            boolean server = usage.equals("server");
            if (!server && keyPasswordEnv != null) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--key-password-env is for server keys: helm 3 and 4 cannot read encrypted client keys");
            }
            CaDirectory directory = CaDirectory.open(ca.dir, ca.caKeyPassword(context));
            Instant now = Instant.now();
            CertificateRequest request = new CertificateRequest(server ? CertificateRequest.Usage.SERVER : CertificateRequest.Usage.CLIENT,
                    cn, ou, o, sanDns, sanIp, sanUri, sanEmail, now.minusSeconds(300), now.plus(Duration.ofDays(days)),
                    rsa ? KeyType.RSA_2048 : KeyType.EC_P256);
            char[] p12Password = p12 ? (p12PasswordEnv == null ? new char[0] : password(context, p12PasswordEnv)) : null;
            CaDirectory.Written written = directory.issue(request, out != null ? out : ca.dir.resolve(safeName(cn)),
                    password(context, keyPasswordEnv), p12Password);
            PrintWriter stdout = spec.commandLine().getOut();
            stdout.println("issued " + usage + " certificate " + written.certificate().getSubjectX500Principal().getName()
                    + " serial " + written.certificate().getSerialNumber().toString(16));
            stdout.println("  " + written.certFile());
            stdout.println("  " + written.keyFile() + " (0600)");
            if (written.p12File() != null) {
                stdout.println("  " + written.p12File() + " (0600)");
            }
            return 0;
        }

        private static String safeName(String cn) {
            return cn.replaceAll("[^A-Za-z0-9_.-]", "_");
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revoke a certificate; the CRL is re-issued and a running gateway applies it within its watch interval.")
    static final class Revoke implements Callable<Integer> {
        private static final Map<String, Integer> REASONS = Map.of("unspecified", 0, "keyCompromise", 1, "caCompromise", 2,
                "affiliationChanged", 3, "superseded", 4, "cessationOfOperation", 5, "certificateHold", 6,
                "privilegeWithdrawn", 9);

        private final CliContext context;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        CaOptions ca;

        @Option(names = "--serial", paramLabel = "HEX", description = "The serial number (hex; colons and case ignored).")
        String serial;

        @Option(names = "--cert", paramLabel = "PEM", description = "The certificate file instead of its serial.")
        Path cert;

        @Option(names = "--reason", defaultValue = "unspecified",
                description = "unspecified, keyCompromise, caCompromise, affiliationChanged, superseded, cessationOfOperation, "
                        + "certificateHold or privilegeWithdrawn (default: ${DEFAULT-VALUE}).")
        String reason;

        Revoke(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() throws IOException, TlsException {
            if ((serial == null) == (cert == null)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "give exactly one of --serial or --cert");
            }
            Integer code = REASONS.get(reason);
            if (code == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "unknown reason \"" + reason + "\"");
            }
            BigInteger number;
            if (cert != null) {
                number = PemLoader.certificates(cert).get(0).getSerialNumber();
            } else {
                String hex = serial.replace(":", "");
                if (!hex.matches("[0-9A-Fa-f]+")) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "\"" + serial + "\" is not a hex serial");
                }
                number = new BigInteger(hex, 16);
            }
            var crl = CaDirectory.open(ca.dir, ca.caKeyPassword(context)).revoke(number, code, Duration.ofDays(ca.crlDays));
            spec.commandLine().getOut().println("revoked serial " + number.toString(16) + " (" + reason + "); "
                    + ca.dir.resolve(CaDirectory.CA_CRL) + " lists " + crl.getRevokedCertificates().size()
                    + " and is valid until " + crl.getNextUpdate().toInstant());
            return 0;
        }
    }

    @Command(name = "crl", mixinStandardHelpOptions = true,
            description = "Re-sign the CA's CRL (the same revocations) so it stays valid for --crl-days more; run it before it expires.")
    static final class Crl implements Callable<Integer> {
        private final CliContext context;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        CaOptions ca;

        Crl(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() throws IOException, TlsException {
            var crl = CaDirectory.open(ca.dir, ca.caKeyPassword(context)).renewCrl(Duration.ofDays(ca.crlDays));
            int listed = crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size();
            spec.commandLine().getOut().println(ca.dir.resolve(CaDirectory.CA_CRL) + " re-signed: lists " + listed
                    + " and is valid until " + crl.getNextUpdate().toInstant());
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the certificates issued into the directory.")
    static final class ListCerts implements Callable<Integer> {
        private final CliContext context;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        CaOptions ca;

        ListCerts(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() throws IOException, TlsException {
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-40s  %-24s  %-8s  %s%n", "serial", "expires", "state", "subject (file)");
            Instant now = Instant.now();
            for (CaDirectory.Listed c : CaDirectory.open(ca.dir, ca.caKeyPassword(context)).list()) {
                String state = c.revoked() ? "revoked" : c.notAfter().isBefore(now) ? "expired" : "valid";
                out.printf("%-40s  %-24s  %-8s  %s (%s)%n", c.serial(), c.notAfter(), state, c.subject(), c.file());
            }
            return 0;
        }
    }

    CertsCommand() {
    }
}
