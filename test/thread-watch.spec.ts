import {
  LAG_WINDOW_MS,
  MainLoopWatch,
  markProgress,
  PROGRESS_MARK_INTERVAL_MS,
} from '../src/transport/thread.protocol.js';

/** The worker's reading of the main loop's progress marks, on a clock the test moves. */
describe('MainLoopWatch', () => {
  let now: number;
  let marks: BigInt64Array;
  let watch: MainLoopWatch;
  beforeEach(() => {
    now = 1_000_000;
    marks = new BigInt64Array(new SharedArrayBuffer(8));
    markProgress(marks, now);
    watch = new MainLoopWatch(marks, () => now);
  });
  /** The main loop turns on time for `ms`: a mark every interval, each seen by the worker's sampler. */
  const turn = (ms: number, every = PROGRESS_MARK_INTERVAL_MS) => {
    for (let elapsed = 0; elapsed < ms; elapsed += every) {
      now += every;
      markProgress(marks, now);
      watch.sample();
    }
  };

  it('sees neither a stall nor a lag while the marks come on time', () => {
    turn(1_000);
    expect(watch.read()).toEqual({ stalledMs: 0, lagMs: 0 });
  });

  it('counts a stall from the last mark, and the lag beyond one interval', () => {
    turn(200);
    now += 700;
    expect(watch.read()).toEqual({ stalledMs: 700, lagMs: 700 - PROGRESS_MARK_INTERVAL_MS });
    markProgress(marks, now);
    expect(watch.read().stalledMs).toBe(0);
  });

  it('keeps the longest late turn for the lag window, so a saturated loop does not flap, then forgets it', () => {
    // Turns 1.2 s apart, as a loop that serves 60 requests of 20 ms of CPU per turn.
    turn(3_600, 1_200);
    now += 100;
    expect(watch.read()).toEqual({ stalledMs: 100, lagMs: 1_200 - PROGRESS_MARK_INTERVAL_MS });
    turn(LAG_WINDOW_MS - 200);
    expect(watch.read().lagMs).toBe(1_200 - PROGRESS_MARK_INTERVAL_MS);
    turn(300);
    expect(watch.read()).toEqual({ stalledMs: 0, lagMs: 0 });
  });
});
