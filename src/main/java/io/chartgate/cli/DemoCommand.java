package io.chartgate.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code chartgate demo}: a throwaway CA, certificates, a sample repository and the gateway in front of it. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the gateway in front of a sample chart repository with throwaway certificates.")
final class DemoCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        var err = spec.commandLine().getErr();
        err.println("chartgate demo will: create a throwaway CA with server and client certificates, a sample chart");
        err.println("repository with index.yaml, start the gateway in front of it, and print the helm repo add command.");
        err.println("chartgate: demo is not yet available in this build (it lands with the gateway itself)");
        return 1;
    }
}
