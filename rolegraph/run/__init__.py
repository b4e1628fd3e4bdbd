"""The run loop: options, runner, one sample, run store, checkpoints, executors, progress, review."""
