package io.chartgate.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code chartgate run --config F}: runs the gateway until SIGTERM or SIGINT, then stops gracefully (exit 0). */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Run the gateway.")
final class RunCommand implements Callable<Integer> {

    private final CliContext context;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "conf/chartgate.yaml",
            description = "The configuration file (default: ${DEFAULT-VALUE}).")
    Path config;

    RunCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        return Serving.serve(context, config, spec.commandLine().getErr(), gateway -> { });
    }
}
