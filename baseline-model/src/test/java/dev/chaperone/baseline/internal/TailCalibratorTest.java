package dev.chaperone.baseline.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Calibrators sharing a bank's arrays, each in its own slice. */
class TailCalibratorTest {

  private static final int CALIBRATORS = 4;

  @Test
  void shouldCalibrateInASharedBankExactlyAsAlone() {
    // Four calibrators with different histories in one bank, and the same four each in a bank of
    // its own: every score, weight and encoding must be the same, bit for bit, at every step (a
    // slice offset missed anywhere reads or writes a neighbour's bins). Seeded; no tolerance.
    TailCalibrator.Bank bank = new TailCalibrator.Bank(CALIBRATORS);
    TailCalibrator[] shared = new TailCalibrator[CALIBRATORS];
    TailCalibrator[] alone = new TailCalibrator[CALIBRATORS];
    for (int k = 0; k < CALIBRATORS; k++) {
      double low = k == 3 ? -10 : 0;
      shared[k] = new TailCalibrator(low, bank);
      alone[k] = new TailCalibrator(low, new TailCalibrator.Bank(1));
    }
    SplittableRandom random = new SplittableRandom(31);
    for (int day = 0; day < 40; day++) {
      for (int i = 0; i < 200; i++) {
        int k = random.nextInt(CALIBRATORS);
        // each calibrator its own scale, some values beyond the histogram's range
        double x = random.nextDouble() * (k + 1) * 5 - 1;
        shared[k].accept(x);
        alone[k].accept(x);
        double probe = random.nextDouble() * 20 - 2;
        assertEquals(alone[k].sigma(probe, 30, 0.5), shared[k].sigma(probe, 30, 0.5));
      }
      for (int k = 0; k < CALIBRATORS; k++) {
        shared[k].age(29, 30);
        alone[k].age(29, 30);
        shared[k].freeze();
        alone[k].freeze();
        assertEquals(alone[k].weight(), shared[k].weight());
        assertArrayEquals(encoded(alone[k]), encoded(shared[k]), "calibrator " + k);
      }
    }
    // decoded into a shared bank, each slice holds what it was given
    TailCalibrator.Bank restored = new TailCalibrator.Bank(CALIBRATORS);
    for (int k = CALIBRATORS - 1; k >= 0; k--) {
      TailCalibrator copy = new TailCalibrator(k == 3 ? -10 : 0, restored);
      copy.read(new Varint.Reader(encoded(alone[k])));
      assertArrayEquals(encoded(alone[k]), encoded(copy), "restored " + k);
      assertEquals(alone[k].sigma(7.5, 30, 0.5), copy.sigma(7.5, 30, 0.5));
    }
    assertThrows(IllegalStateException.class, () -> new TailCalibrator(0, bank));
  }

  private static byte[] encoded(TailCalibrator calibrator) {
    Varint.Writer out = new Varint.Writer(64);
    calibrator.write(out);
    return out.toByteArray();
  }
}
