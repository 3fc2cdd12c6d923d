import {
  LAG_WINDOW_MS,
  mainLoopHealth,
  MARKS_BYTES,
  PROGRESS_MARK_INTERVAL_MS,
  ProgressMarks,
} from '../src/transport/thread.protocol.js';

/** The main thread's progress marks and the worker's reading of them, on a clock the test moves. */
describe('progress marks', () => {
  let now: number;
  let marks: BigInt64Array;
  let progress: ProgressMarks;
  beforeEach(() => {
    now = 1_000_000;
    marks = new BigInt64Array(new SharedArrayBuffer(MARKS_BYTES));
    progress = new ProgressMarks(marks, () => now);
    progress.mark();
  });
  /** The main loop turns every `every` ms for `ms`, marking each turn. */
  const turn = (ms: number, every = PROGRESS_MARK_INTERVAL_MS) => {
    for (let elapsed = 0; elapsed < ms; elapsed += every) {
      now += every;
      progress.mark();
    }
  };
  /** What the worker reads now. */
  const read = () => mainLoopHealth(marks, now);

  it('sees neither a stall nor a lag while the marks come on time', () => {
    turn(1_000);
    expect(read()).toEqual({ stalledMs: 0, lagMs: 0 });
  });

  it('counts a stall from the last mark, and the lag beyond one interval', () => {
    turn(200);
    now += 700;
    expect(read()).toEqual({ stalledMs: 700, lagMs: 700 - PROGRESS_MARK_INTERVAL_MS });
    // The late turn, once marked, counts as lag for the window.
    progress.mark();
    expect(read()).toEqual({ stalledMs: 0, lagMs: 700 - PROGRESS_MARK_INTERVAL_MS });
  });

  it('keeps the longest late turn for the lag window, so a saturated loop does not flap, then forgets it', () => {
    // Turns 1.2 s apart, as a loop that serves 60 requests of 20 ms of CPU per turn.
    turn(3_600, 1_200);
    now += 100;
    expect(read()).toEqual({ stalledMs: 100, lagMs: 1_200 - PROGRESS_MARK_INTERVAL_MS });
    turn(LAG_WINDOW_MS - 200);
    expect(read().lagMs).toBe(1_200 - PROGRESS_MARK_INTERVAL_MS);
    turn(300);
    expect(read()).toEqual({ stalledMs: 0, lagMs: 0 });
  });
});
