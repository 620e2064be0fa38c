// One product host and one Chromium at a time: the machine has two cores, and the live-update test measures latency.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
