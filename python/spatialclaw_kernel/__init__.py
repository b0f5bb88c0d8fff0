"""SpatialClaw's in-kernel runtime: the names agent code sees (InputImages, Metadata, tools,
show, vlm, ReturnAnswer) and the session loop that runs cells for the Rust host."""

RUNTIME_VERSION = "0.1.0"
