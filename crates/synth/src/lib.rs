//! spatialclaw-synth
