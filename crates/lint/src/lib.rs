//! spatialclaw-lint
