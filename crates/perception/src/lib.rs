//! spatialclaw-perception
