"""Running an analysis: the plugin manager, the plan, one media pass, the cache."""
