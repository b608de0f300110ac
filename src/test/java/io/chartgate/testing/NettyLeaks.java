package io.chartgate.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class after which Netty found a buffer that was never released. The build runs every test with
 * {@code io.netty.leakDetection.level=paranoid} (every buffer tracked); Netty only logs what it finds, so this
 * extension, registered for every test class through the service loader, counts the reports and fails on them.
 * A leaked buffer is found when the garbage collector has taken it, so a leak may surface a class later than the
 * test that made it; the report names where the buffer was allocated and last touched.
 */
public final class NettyLeaks implements AfterAllCallback {

    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

    static {
        // before any buffer class makes its detector: the service loader creates this extension when the engine starts
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            @SuppressWarnings("deprecation")
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
                return new ResourceLeakDetector<>(resource, samplingInterval) {
                    @Override
                    protected void reportTracedLeak(String resourceType, String records) {
                        LEAKS.add(resourceType + " was not released:" + records);
                        super.reportTracedLeak(resourceType, records);
                    }

                    @Override
                    protected void reportUntracedLeak(String resourceType) {
                        LEAKS.add(resourceType + " was not released (no record: leak detection is below paranoid)");
                        super.reportUntracedLeak(resourceType);
                    }
                };
            }
        });
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (ResourceLeakDetector.getLevel() != ResourceLeakDetector.Level.PARANOID) {
            return; // a run outside the build's settings (an IDE): Netty's own sampling still logs
        }
        List<String> found = collect();
        if (!found.isEmpty()) {
            fail(found.size() + " Netty buffer(s) leaked by " + context.getDisplayName() + " or a class before it:\n"
                    + String.join("\n", found));
        }
    }

    /**
     * The leaks found so far, after a collection: what the garbage collector took unreleased. A test that must
     * leak nothing calls it once its connections are gone (and asserts the build's paranoid level first).
     */
    public static List<String> collect() {
        for (int round = 0; round < 3; round++) {
            System.gc();
            // the detector looks at what the collector took when it tracks a new buffer
            for (int i = 0; i < 64; i++) {
                ByteBuf probe = ByteBufAllocator.DEFAULT.directBuffer(16);
                probe.release();
            }
        }
        List<String> found = List.copyOf(LEAKS);
        LEAKS.clear();
        return found;
    }
}
