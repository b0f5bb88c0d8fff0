//! spatialclaw-kernel
