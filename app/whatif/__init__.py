"""Staff what-if analysis: run an allocation rule on an uploaded pabulib file, store nothing."""
