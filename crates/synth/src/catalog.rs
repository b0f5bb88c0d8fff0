//! Object categories: label, plausible size range, colour, and where they stand.
//!
//! Colours are distinct in hue and brightness so a VLM (and a reader of the PNG) can tell the
//! objects apart; sizes are typical indoor furniture in metres.

use crate::scene::Primitive;

/// Where an object of a category is placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Anywhere on the floor, any yaw.
    Floor,
    /// On the floor with its back (local −Z face) against a wall, front facing the room.
    AgainstWall,
}

/// One category of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Category {
    pub label: &'static str,
    pub primitive: Primitive,
    /// (min, max) full extents in metres along local x (width), y (height), z (depth).
    pub width: (f64, f64),
    pub height: (f64, f64),
    pub depth: (f64, f64),
    pub color: [u8; 3],
    pub placement: Placement,
}

const fn cat(
    label: &'static str,
    width: (f64, f64),
    height: (f64, f64),
    depth: (f64, f64),
    color: [u8; 3],
    placement: Placement,
) -> Category {
    Category {
        label,
        primitive: Primitive::Cuboid,
        width,
        height,
        depth,
        color,
        placement,
    }
}

/// The categories the skeleton generator draws from (box-shaped ones; cylinders and spheres
/// join when the rasterizer grows those primitives).
pub const CATEGORIES: &[Category] = &[
    cat(
        "chair",
        (0.42, 0.55),
        (0.80, 0.95),
        (0.42, 0.55),
        [196, 58, 48],
        Placement::Floor,
    ),
    cat(
        "table",
        (0.90, 1.40),
        (0.70, 0.78),
        (0.60, 0.90),
        [176, 124, 72],
        Placement::Floor,
    ),
    cat(
        "box",
        (0.30, 0.60),
        (0.25, 0.50),
        (0.30, 0.60),
        [226, 190, 70],
        Placement::Floor,
    ),
    cat(
        "stool",
        (0.32, 0.42),
        (0.45, 0.70),
        (0.32, 0.42),
        [58, 150, 86],
        Placement::Floor,
    ),
    cat(
        "sofa",
        (1.50, 1.90),
        (0.75, 0.90),
        (0.80, 0.95),
        [222, 122, 52],
        Placement::AgainstWall,
    ),
    cat(
        "cabinet",
        (0.60, 1.00),
        (0.90, 1.30),
        (0.40, 0.55),
        [62, 104, 172],
        Placement::AgainstWall,
    ),
    cat(
        "heater",
        (0.60, 1.00),
        (0.50, 0.70),
        (0.10, 0.15),
        [92, 96, 108],
        Placement::AgainstWall,
    ),
    cat(
        "bookshelf",
        (0.70, 1.00),
        (1.50, 1.85),
        (0.28, 0.38),
        [120, 72, 140],
        Placement::AgainstWall,
    ),
    cat(
        "door",
        (0.80, 0.95),
        (1.95, 2.10),
        (0.04, 0.06),
        [110, 66, 38],
        Placement::AgainstWall,
    ),
];

/// The category named `label`, if it is in the catalogue.
pub fn category(label: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.label == label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_unique_and_ranges_sane() {
        for (i, a) in CATEGORIES.iter().enumerate() {
            for b in &CATEGORIES[i + 1..] {
                assert_ne!(a.label, b.label);
                assert_ne!(a.color, b.color);
            }
            for (lo, hi) in [a.width, a.height, a.depth] {
                assert!(0.0 < lo && lo <= hi && hi < 2.5, "{}", a.label);
            }
        }
    }
}
