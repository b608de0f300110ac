package io.chartgate.loadtest;

final class MemoryRun {
    private MemoryRun() {
    }

    static int run(Options options) {
        throw new IllegalStateException("not yet");
    }
}
