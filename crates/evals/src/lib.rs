//! spatialclaw-evals
