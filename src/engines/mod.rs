//! The two search engines behind one enum; engine-specific JSON lives in pure functions.
