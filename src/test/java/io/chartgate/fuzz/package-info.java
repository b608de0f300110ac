/**
 * Coverage-guided fuzz tests (Jazzer): one {@code @FuzzTest} per parser that a client, an upstream or an operator
 * feeds. A normal build replays each one's seeds and past findings from
 * {@code src/test/resources/io/chartgate/fuzz/<Class>Inputs/<method>/}; {@code scripts/fuzz.sh} fuzzes them.
 */
package io.chartgate.fuzz;
