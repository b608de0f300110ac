package io.chartgate.loadtest;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The server processes of a run, each started under {@code taskset} on its core: nginx as the plain-HTTP chart
 * repository (the upstream), nginx as the mTLS gateway it is compared with, and chartgate.
 */
final class Servers {

    private Servers() {
    }

    /** A running server process and what it listens on. */
    static final class Server implements AutoCloseable {
        final String name;
        final Process process;
        final Path log;

        Server(String name, Process process, Path log) {
            this.name = name;
            this.process = process;
            this.log = log;
        }

        /** CPU time of the process and its children (nginx's worker), in nanoseconds. */
        long cpuNanos() {
            return Stream.concat(Stream.of(process.toHandle()), process.descendants())
                    .mapToLong(p -> p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L))
                    .sum();
        }

        /** Resident memory of the process (kB), from /proc. */
        long rssKb() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                    if (line.startsWith("VmRSS:")) {
                        return Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                }
            } catch (IOException e) {
                return -1;
            }
            return -1;
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** {@code taskset -c CORE} in front of a command, or nothing when pinning is off. */
    static List<String> pinned(Integer core, List<String> command) {
        return pinned(core == null ? null : String.valueOf(core), command);
    }

    /** {@code taskset -c CPUS} ({@code 0,1}) in front of a command, or nothing when pinning is off. */
    static List<String> pinned(String cpus, List<String> command) {
        List<String> all = new ArrayList<>();
        if (cpus != null) {
            all.addAll(List.of("taskset", "-c", cpus));
        }
        all.addAll(command);
        return all;
    }

    /** nginx serving the repository over plain HTTP, with WebDAV PUT under /upload/: the upstream. */
    static Server upstreamNginx(String name, Path work, Fixtures fixtures, int port, Integer core)
            throws IOException, InterruptedException {
        String server = """
                  server {
                    listen 127.0.0.1:%d reuseport;
                    root %s;
                    location /upload/ {
                      dav_methods PUT DELETE;
                      create_full_put_path on;
                      client_max_body_size 0;
                      client_body_buffer_size 1m;
                    }
                  }
                """.formatted(port, fixtures.docRoot);
        return nginx(name, work, port, core == null ? null : String.valueOf(core), 1, server);
    }

    /**
     * nginx as the mutual-TLS gateway, the recipe chartgate replaces: {@code ssl_verify_client on} with the same
     * certificates, a keep-alive pool to the same upstream, the client certificate forwarded as a header, chart
     * URLs in index.yaml rewritten by {@code sub_filter}, uploads streamed ({@code proxy_request_buffering off}),
     * and a buffered access log. It checks that a certificate is valid, not what it may do: nginx has no
     * per-certificate, per-path policy, which chartgate evaluates on every request.
     */
    static Server mtlsNginx(Path work, int upstreamPort, int registryPort, List<Listener> listeners, Integer core)
            throws IOException, InterruptedException {
        return mtlsNginx("nginx", work, upstreamPort, registryPort, listeners, core == null ? null : String.valueOf(core), 1);
    }

    /** As above, with {@code workers} worker processes on the cores {@code cpus} ({@code 0,1}; null: unpinned). */
    static Server mtlsNginx(String name, Path work, int upstreamPort, int registryPort, List<Listener> listeners, String cpus,
            int workers) throws IOException, InterruptedException {
        StringBuilder servers = new StringBuilder("""
                  upstream charts {
                    server 127.0.0.1:%d;
                    keepalive 64;
                  }
                  upstream registry {
                    server 127.0.0.1:%d;
                    keepalive 64;
                  }
                """.formatted(upstreamPort, registryPort));
        for (Listener listener : listeners) {
            Fixtures.Pki pki = listener.pki();
            servers.append("""
                      server {
                        listen 127.0.0.1:%1$d ssl reuseport;
                        ssl_certificate %2$s;
                        ssl_certificate_key %3$s;
                        ssl_client_certificate %4$s;
                        ssl_verify_client on;
                        ssl_protocols TLSv1.2 TLSv1.3;
                        client_max_body_size 1g;
                        proxy_http_version 1.1;
                        proxy_request_buffering off;
                        proxy_set_header Connection "";
                        proxy_set_header X-Forwarded-For $remote_addr;
                        proxy_set_header X-Forwarded-Proto https;
                        proxy_set_header X-Forwarded-Client-Cert "Hash=$ssl_client_fingerprint;Subject=\\"$ssl_client_s_dn\\"";
                        location / {
                          proxy_pass http://charts;
                        }
                        # the registry recipe (distribution's nginx example): its Host, and the scheme it builds
                        # its upload Locations with; nginx has no per-repository policy
                        location /v2/ {
                          proxy_pass http://registry;
                          proxy_set_header Connection "";
                          proxy_set_header Host $http_host;
                          proxy_set_header X-Forwarded-Proto https;
                          proxy_set_header X-Forwarded-For $remote_addr;
                        }
                        location ~ index\\.yaml$ {
                          proxy_pass http://charts;
                          proxy_set_header Accept-Encoding "";
                          sub_filter 'http://127.0.0.1:%5$d/' 'https://127.0.0.1:%1$d/';
                          sub_filter_once off;
                          sub_filter_types *;
                        }
                      }
                    """.formatted(listener.port(), pki.serverCert(), pki.serverKey(), pki.caCert(), upstreamPort));
        }
        return nginx(name, work, listeners.get(0).port(), cpus, workers, servers.toString());
    }

    record Listener(int port, Fixtures.Pki pki) {
    }

    private static Server nginx(String name, Path work, int port, String cpus, int workers, String servers)
            throws IOException, InterruptedException {
        Path dir = work.resolve(name);
        Files.createDirectories(dir);
        String config = """
                %s
                worker_processes %d;
                pid %s/nginx.pid;
                error_log %s/error.log warn;
                events { worker_connections 4096; }
                http {
                  include /etc/nginx/mime.types;
                  types { application/x-yaml yaml; }
                  default_type application/octet-stream;
                  sendfile on;
                  tcp_nopush on;
                  keepalive_requests 1000000;
                  keepalive_timeout 75s;
                  access_log %s/access.log combined buffer=64k flush=1s;
                  client_body_temp_path %s/client_body_temp;
                  proxy_temp_path %s/proxy_temp;
                  fastcgi_temp_path %s/fastcgi_temp;
                  uwsgi_temp_path %s/uwsgi_temp;
                  scgi_temp_path %s/scgi_temp;
                %s
                }
                """.formatted("root".equals(System.getProperty("user.name")) ? "user root root;" : "", workers,
                dir, dir, dir, dir, dir, dir, dir, dir, servers);
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, config);
        Path log = dir.resolve("stderr.log");
        Process process = new ProcessBuilder(pinned(cpus, List.of(nginxBinary(), "-p", dir + "/", "-c", conf.toString(),
                "-g", "daemon off;")))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Server server = new Server(name, process, log);
        awaitPort(server, port, dir.resolve("error.log"));
        return server;
    }

    static String nginxBinary() {
        return Files.isExecutable(Path.of("/usr/sbin/nginx")) ? "/usr/sbin/nginx" : "nginx";
    }

    /**
     * chartgate in front of the upstream, run from the jar as a user runs it, its access log to a file. Two routes
     * to the same upstream: {@code /} (index URLs rewritten, the default) and {@code /filtered} with
     * {@code filterIndex: true}, through which the load client's certificate may read only the charts
     * {@link Fixtures#granted} names, so its index.yaml there is a filtered view. The one rule grants reads of the
     * paths the scenarios fetch ({@code /charts/**} first: a chart's decision matches at the first glob, as it did
     * with {@code /**}) and writes under {@code /upload/}. With a {@code registryPort} (above 0), an {@code oci}
     * route {@code /v2} to the registry of the OCI rows, where the rule grants writes to the bench repository.
     * {@code engine}: its {@code server.tls.engine}, or null for the default.
     */
    static Server chartgate(Path work, Path jar, String name, int port, int adminPort, int upstreamPort, int registryPort,
                            Fixtures.Pki pki, List<String> jvmOptions, String engine, Integer core)
            throws IOException, InterruptedException {
        return chartgate(work, jar, name, port, adminPort, upstreamPort, registryPort, pki, jvmOptions, engine,
                core == null ? null : String.valueOf(core));
    }

    /** As above, on the cores {@code cpus} ({@code 0,1}; null: unpinned): it serves on one event loop per core it has. */
    static Server chartgate(Path work, Path jar, String name, int port, int adminPort, int upstreamPort, int registryPort,
                            Fixtures.Pki pki, List<String> jvmOptions, String engine, String cpus)
            throws IOException, InterruptedException {
        Path dir = work.resolve(name);
        Files.createDirectories(dir);
        List<String> reads = new ArrayList<>(List.of("/charts/**", Fixtures.INDEX, "/small/**", Fixtures.FILTERED_INDEX));
        reads.addAll(Fixtures.FILTER_GLOBS);
        String config = """
                server:
                  host: 127.0.0.1
                  port: %d
                  publicUrl: https://127.0.0.1:%d
                  tls:
                    certFile: %s
                    keyFile: %s
                    clientCaFile: %s
                %13$s
                admin:
                  host: 127.0.0.1
                  port: %d
                routes:
                  - name: charts
                    prefix: /
                    upstream:
                      type: http
                      url: http://127.0.0.1:%7$d/
                  - name: filtered
                    prefix: %8$s
                    upstream:
                      type: http
                      url: http://127.0.0.1:%7$d/
                      filterIndex: true
                %11$s
                policy:
                  rules:
                    - name: bench
                      match: { cn: %9$s }
                      read: [%10$s]
                      write: ["/upload/**", "/v2/%12$s"]
                """.formatted(port, port, pki.serverCert(), pki.serverKey(), pki.caCert(), adminPort, upstreamPort,
                Fixtures.FILTERED_PREFIX, Fixtures.CLIENT_CN,
                String.join(", ", reads.stream().map(glob -> "\"" + glob + "\"").toList()),
                // the OCI rows' registry, when they run (readiness asks every upstream)
                registryPort <= 0 ? "" : "  - { name: registry, prefix: /v2, upstream: { type: oci, url: \"http://127.0.0.1:"
                        + registryPort + "\" } }", Registry.REPOSITORY,
                engine == null ? "" : "    engine: " + engine);
        Path conf = dir.resolve("chartgate.yaml");
        Files.writeString(conf, config);
        List<String> command = new ArrayList<>(List.of("java"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString(), "run", "--config", conf.toString()));
        Path log = dir.resolve("stderr.log");
        Process process = new ProcessBuilder(pinned(cpus, command))
                .redirectOutput(dir.resolve("access.log").toFile()).redirectError(log.toFile()).start();
        Server server = new Server(name, process, log);
        awaitReady(server, adminPort);
        // which TLS engine runs (server.tls.engine, or the one it fell back to)
        Files.readAllLines(log).stream().filter(l -> l.contains("TLS engine:")).forEach(l -> System.out.println("  " + name + ": " + l));
        return server;
    }

    /** Waits for {@code server} to accept connections on {@code port}, and returns it. */
    static Server awaitListening(Server server, int port, Path log) throws IOException, InterruptedException {
        awaitPort(server, port, log);
        return server;
    }

    private static void awaitPort(Server server, int port, Path errorLog) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (!server.process.isAlive()) {
                throw new IOException(server.name + " exited: " + tail(server.log) + tail(errorLog));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        server.close();
        throw new IOException(server.name + " did not listen on " + port + ": " + tail(server.log) + tail(errorLog));
    }

    private static void awaitReady(Server server, int adminPort) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/readyz"))
                .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!server.process.isAlive()) {
                throw new IOException(server.name + " exited: " + tail(server.log));
            }
            try {
                if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        server.close();
        throw new IOException(server.name + " was not ready within 60 s: " + tail(server.log));
    }

    static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return "\n  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }
}
