package io.chartgate.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The command line: {@code run} (the default), {@code demo}, {@code config check}, {@code policy explain},
 * {@code certs init-ca|issue|revoke|list}.
 * The only place that calls {@link System#exit}; everything else returns an exit code, so tests run the
 * real commands in-process through {@link #execute}.
 */
@Command(name = "chartgate",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "A mutual-TLS gateway for Helm chart repositories.",
        subcommands = {RunCommand.class, DemoCommand.class, ConfigCommand.class, PolicyCommand.class, CertsCommand.class,
            HealthcheckCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        System.exit(execute(args, System.getenv(), out, err));
    }

    /** Runs one command line against {@code env} and returns its exit code. */
    public static int execute(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
        CliContext context = new CliContext(env);
        CommandLine cmd = new CommandLine(new Main(), new ContextFactory(context));
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setExecutionExceptionHandler((ex, line, parsed) -> {
            line.getErr().println("chartgate: " + ex.getMessage());
            return CommandLine.ExitCode.SOFTWARE;
        });
        int code = cmd.execute(withDefaultCommand(args));
        out.flush();
        err.flush();
        return code;
    }

    /** {@code run} is the default: {@code chartgate --config x} means {@code chartgate run --config x}. */
    private static String[] withDefaultCommand(String[] args) {
        if (args.length == 0 || (args[0].startsWith("-") && !isTopLevelOption(args[0]))) {
            String[] withRun = new String[args.length + 1];
            withRun[0] = "run";
            System.arraycopy(args, 0, withRun, 1, args.length);
            return withRun;
        }
        return args;
    }

    private static boolean isTopLevelOption(String arg) {
        return arg.equals("-h") || arg.equals("--help") || arg.equals("-V") || arg.equals("--version");
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The version from the jar manifest ({@code dev} when run from classes). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"chartgate " + (v == null ? "dev" : v)};
        }
    }

    /** Gives commands that ask for it the {@link CliContext}. */
    private record ContextFactory(CliContext context) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
            try {
                return cls.getDeclaredConstructor(CliContext.class).newInstance(context);
            } catch (NoSuchMethodException e) {
                return CommandLine.defaultFactory().create(cls);
            }
        }
    }
}
