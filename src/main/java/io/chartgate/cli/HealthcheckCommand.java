package io.chartgate.cli;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code chartgate healthcheck}: asks the admin port's {@code /healthz} and exits 0 when it answers 200. The
 * container image's HEALTHCHECK uses it, since the JRE image has no curl.
 */
@Command(name = "healthcheck", mixinStandardHelpOptions = true, description = "Exit 0 when the admin port's /healthz answers 200.")
final class HealthcheckCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--url", defaultValue = "http://127.0.0.1:9090/healthz", description = "Default: ${DEFAULT-VALUE}.")
    URI url;

    @Override
    public Integer call() {
        try {
            HttpResponse<Void> response = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(3)).build()
                    .send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() == 200) {
                return 0;
            }
            spec.commandLine().getErr().println("chartgate: " + url + " answered " + response.statusCode());
        } catch (Exception e) {
            spec.commandLine().getErr().println("chartgate: " + url + " did not answer (" + e.getMessage() + ")");
        }
        return 1;
    }
}
