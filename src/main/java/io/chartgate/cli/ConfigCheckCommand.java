package io.chartgate.cli;

import io.chartgate.config.ConfigError;
import io.chartgate.config.ConfigException;
import io.chartgate.config.ConfigLoader;
import io.chartgate.config.GatewayConfig;
import io.chartgate.config.RouteConfig;
import io.chartgate.policy.Policy;
import io.chartgate.server.CompiledConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code chartgate config check --config F}: exit 0 with a one-line summary, or every error with its key
 * path and exit 1. By default it also loads every file the configuration names (keys, certificates, CAs,
 * CRLs, directories), as start-up would; {@code --no-files} checks the file alone.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Validate a configuration file and everything it names; print every error with its key path.")
final class ConfigCheckCommand implements Callable<Integer> {

    private final CliContext context;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", required = true, description = "The configuration file.")
    Path config;

    @Option(names = "--no-files", description = "Check the file's shape and values only; do not load the keys, "
            + "certificates, CRLs and directories it names.")
    boolean noFiles;

    ConfigCheckCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        GatewayConfig loaded;
        try {
            loaded = new ConfigLoader(context.env()).load(config);
            if (noFiles) {
                Policy.compile(loaded.policy());
            } else {
                CompiledConfig compiled = CompiledConfig.compile(loaded, Instant.now());
                compiled.warnings().forEach(w -> out.println("warning: " + w));
            }
        } catch (ConfigException e) {
            printErrors(spec.commandLine().getErr(), config, e);
            return 1;
        }
        out.println(config + ": OK (" + summary(loaded) + (noFiles ? "; files not loaded" : "") + ")");
        return 0;
    }

    static void printErrors(PrintWriter err, Path file, ConfigException e) {
        List<ConfigError> errors = e.errors();
        err.println(file + ": " + errors.size() + (errors.size() == 1 ? " error" : " errors"));
        errors.forEach(error -> err.println("  " + error));
    }

    private static String summary(GatewayConfig c) {
        String routes = c.routes().stream().map(ConfigCheckCommand::describe).collect(Collectors.joining(", "));
        int rules = c.policy().rules().size();
        return c.routes().size() + (c.routes().size() == 1 ? " route: " : " routes: ") + routes + "; "
                + rules + (rules == 1 ? " policy rule" : " policy rules") + "; clientAuth "
                + c.server().tls().clientAuth().name().toLowerCase(java.util.Locale.ROOT)
                + "; TLS engine " + c.server().tls().engine().configName()
                + "; listening on " + c.server().host() + ":" + c.server().port();
    }

    private static String describe(RouteConfig r) {
        return r.name() + " " + r.prefix() + " -> " + r.upstream().type();
    }
}
