/**
 * How the plan runs a program, where it differs from `pulumi up` on purpose: the SDK's diagnostics that
 * only `pulumi up` reads are off, and an error the program leaves unhandled fails the plan as it fails
 * `pulumi up`. Each wrapper restores what it changed when the program is done.
 */

/** The SDK's promise bookkeeping (internal: `@pulumi/pulumi/runtime/debuggable` exports no types for it). */
function promiseTracker(): { debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T> } {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("@pulumi/pulumi/runtime/debuggable");
}

/**
 * Runs the program without the SDK's diagnostics for `pulumi up`, which a plan never reads and which cost
 * more than the registrations themselves:
 * - every promise the SDK makes (three per property of every resource) is tracked for a leak report at
 *   exit, with a `new Error().stack`, three properties and two more promises each;
 * - every resource records its source position from an unlimited stack trace.
 * Thousands of stack captures, formatted frame by frame, and the strings and promises they leave are most
 * of the garbage. So while the program runs stacks carry no frames (an error still says what went wrong)
 * and promises are not tracked. PLAN_STACK_TRACE_LIMIT=50 keeps both, for debugging a failing program.
 */
export async function withoutSdkDiagnostics(run: () => Promise<void>): Promise<void> {
    if (process.env.PLAN_STACK_TRACE_LIMIT !== undefined) {
        const { stackTraceLimit } = Error;
        Error.stackTraceLimit = Number(process.env.PLAN_STACK_TRACE_LIMIT);
        try {
            return await run();
        } finally {
            Error.stackTraceLimit = stackTraceLimit;
        }
    }
    const { stackTraceLimit, prepareStackTrace } = Error;
    const tracker = promiseTracker();
    const track = tracker.debuggablePromise;
    Error.stackTraceLimit = 0;
    // The SDK asks for unlimited traces of its own; they are cut here too.
    Error.prepareStackTrace = (error: Error) => String(error);
    tracker.debuggablePromise = (p) => p;
    try {
        await run();
    } finally {
        Error.stackTraceLimit = stackTraceLimit;
        Error.prepareStackTrace = prepareStackTrace;
        tracker.debuggablePromise = track;
    }
}

/**
 * Runs the program as the Pulumi language host does in one respect: an error nothing handles (thrown in
 * an `apply`, a rejected promise) fails it, where it would otherwise surface after the plan was reported.
 * Callbacks that no registration waits for run after the last one, so they are given a turn to settle.
 */
export async function failingOnUnhandledRejections(run: () => Promise<void>): Promise<void> {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", record);
    let failure: { error: unknown } | undefined;
    try {
        await run();
    } catch (error) {
        failure = { error };
    }
    // Also when the program threw: the SDK's own promises derived from what failed reject in this turn.
    await new Promise((settled) => setImmediate(settled));
    process.off("unhandledRejection", record);
    if (failure) throw failure.error;
    if (unhandled.length > 0) throw unhandled[0];
}
