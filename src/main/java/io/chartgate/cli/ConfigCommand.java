package io.chartgate.cli;

import picocli.CommandLine.Command;

/** {@code chartgate config …}: commands about configuration files. */
@Command(name = "config", mixinStandardHelpOptions = true, description = "Check configuration files.",
        subcommands = ConfigCheckCommand.class)
final class ConfigCommand {
}
