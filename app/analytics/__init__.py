"""Pure analytics (allocation rules, pabulib io): plain data in, frozen results out, no IO."""
