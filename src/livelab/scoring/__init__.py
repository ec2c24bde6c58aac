"""From metrics to grades: rules, rubrics, the scorecard, judges."""
