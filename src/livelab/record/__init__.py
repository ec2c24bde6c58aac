"""Recording a take: camera and mic, the fragmented MP4, the simulated audience."""
