//! spatialclaw-llm
