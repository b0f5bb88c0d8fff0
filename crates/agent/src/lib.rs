//! spatialclaw-agent
