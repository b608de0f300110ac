package io.chartgate.cli;

import picocli.CommandLine.Command;

/** {@code chartgate policy …}: commands about the access policy. */
@Command(name = "policy", mixinStandardHelpOptions = true, description = "Inspect the access policy.",
        subcommands = PolicyExplainCommand.class)
final class PolicyCommand {
}
