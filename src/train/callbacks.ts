// Callbacks for fit (progress bar, early stopping, schedules, NaN guard).
export {};
