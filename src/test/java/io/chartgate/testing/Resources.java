package io.chartgate.testing;

/** What a test class started (gateway, upstreams, registries), closed again at its end. */
public final class Resources {

    private Resources() {
    }

    /**
     * Closes {@code resources} in order, every one even when an earlier one fails, passing over nulls (what a failed
     * start never made), so one failure leaves no process or port behind; then throws the first failure with the
     * later ones suppressed.
     */
    public static void closeAll(AutoCloseable... resources) {
        Throwable first = null;
        for (AutoCloseable resource : resources) {
            if (resource == null) {
                continue;
            }
            try {
                resource.close();
            } catch (Throwable e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first instanceof RuntimeException e) {
            throw e;
        }
        if (first instanceof Error e) {
            throw e;
        }
        if (first != null) {
            throw new IllegalStateException("closing failed", first);
        }
    }
}
