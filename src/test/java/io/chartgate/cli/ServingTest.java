package io.chartgate.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ServingTest {

    @Test
    void aHangupInTheIgnoredMaskIsNoticed() {
        // as /proc/self/status shows it under nohup: bit 0 is SIGHUP (signal 1)
        assertTrue(Serving.hangupIgnored("Name:\tjava\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000001\n"));
        assertTrue(Serving.hangupIgnored("SigIgn:\t0000000000001005\n"));
    }

    @Test
    void otherIgnoredSignalsOrNoMaskAreNotAHangup() {
        // SIGPIPE (13) alone, as a shell leaves it
        assertFalse(Serving.hangupIgnored("SigIgn:\t0000000000001000\n"));
        assertFalse(Serving.hangupIgnored(""));
        assertFalse(Serving.hangupIgnored("SigIgn:\tnot-hex\n"));
    }
}
