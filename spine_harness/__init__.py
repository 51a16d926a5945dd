"""The Spine harness: proves that the Gerege Spine is safe and fast before every deploy."""
