package io.chartgate.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class RecentActivityTest {

    private static final long T0 = Instant.parse("2026-03-01T12:00:00Z").toEpochMilli();

    @Test
    void onlyTheMostRecentlySeenPrincipalsAreKept() {
        RecentActivity recent = new RecentActivity(100, 50);
        for (int i = 0; i < 150; i++) {
            recent.request("p" + i, "CN=p" + i, Instant.ofEpochMilli(T0), "allowed", 200, T0 + i);
        }
        recent.request("p120", "CN=p120", Instant.ofEpochMilli(T0), "denied", 403, T0 + 1000);
        recent.request("p0", "CN=p0", Instant.ofEpochMilli(T0), "allowed", 200, T0 + 1001);
        List<RecentActivity.Seen> seen = recent.principals();
        assertEquals(100, seen.size());
        assertEquals("p0", seen.get(0).principal(), "dropped, then seen again: the newest, counted afresh");
        assertEquals(1, seen.get(0).requests());
        assertEquals("p120", seen.get(1).principal());
        assertEquals(2, seen.get(1).requests());
        assertEquals("denied", seen.get(1).lastDecision());
        assertEquals("p149", seen.get(2).principal());
        assertEquals("p51", seen.get(99).principal(), "p50 made room for p0 coming back");
    }

    @Test
    void aPrincipalKeepsItsLastCertificate() {
        RecentActivity recent = new RecentActivity();
        recent.request("bob", "CN=bob,OU=old", Instant.ofEpochMilli(T0), "allowed", 200, T0);
        recent.request("bob", "CN=bob,OU=new", Instant.ofEpochMilli(T0 + 5000), "allowed", 200, T0 + 1);
        RecentActivity.Seen bob = recent.principals().get(0);
        assertEquals("CN=bob,OU=new", bob.subject());
        assertEquals(Instant.ofEpochMilli(T0 + 5000), bob.notAfter());
    }

    @Test
    void onlyTheLastDenialsAreKeptNewestFirst() {
        RecentActivity recent = new RecentActivity(100, 50);
        IntStream.range(0, 80).forEach(i -> recent.denial(new RecentActivity.Denial(Instant.ofEpochMilli(T0 + i), "eve",
                "CN=eve", "GET", "/x/" + i, 403, null, "eve may not read /x/" + i)));
        List<RecentActivity.Denial> denials = recent.denials();
        assertEquals(50, denials.size());
        assertEquals("/x/79", denials.get(0).path());
        assertEquals("/x/30", denials.get(49).path());
        assertEquals(80, recent.denialsRecorded());
    }

    @Test
    void fewerDenialsThanTheBoundAreAllThere() {
        RecentActivity recent = new RecentActivity(100, 50);
        recent.denial(new RecentActivity.Denial(Instant.ofEpochMilli(T0), "eve", "CN=eve", "GET", "/a", 403, null, "r"));
        assertEquals(1, recent.denials().size());
    }
}
