//! Object categories: label, plausible size range, colours, placement, and how the object is
//! built from primitives.
//!
//! Sizes are typical indoor furniture in metres. Every builder fills exactly the sampled
//! bounding extent (a test checks it), so the object's box is its true bounding box, which is
//! what size, height and centre questions measure. Labels are chosen so that no label's words
//! are a subset of another's: the synthetic segmenter matches prompts by words.

use crate::math::Vec3;
use crate::primitives::Part;

/// Where an object of a category is placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Anywhere on the floor, any yaw.
    Floor,
    /// On the floor with its back (local −Z face) against a wall, front facing the room.
    AgainstWall,
    /// On top of an object of one of these categories.
    OnTop(&'static [&'static str]),
}

/// Builds the parts of an object with bounding extents `size` (local frame, centred).
pub type Builder = fn(Vec3, [u8; 3], [u8; 3]) -> Vec<Part>;

/// One category of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Category {
    pub label: &'static str,
    /// (min, max) full extents in metres along local x (width), y (height), z (depth).
    pub width: (f64, f64),
    pub height: (f64, f64),
    pub depth: (f64, f64),
    /// Depth equals width (round objects).
    pub round: bool,
    /// Height equals width too (spheres).
    pub isotropic: bool,
    pub color: [u8; 3],
    /// Colour of secondary parts (legs, handles, pots).
    pub accent: [u8; 3],
    pub placement: Placement,
    /// Other objects may stand on its top face.
    pub supports: bool,
    /// Several instances may appear in one room (counting questions).
    pub multiple: bool,
    /// May move along a path in dynamic scenes.
    pub movable: bool,
    pub build: Builder,
}

impl Category {
    /// A random size inside the category's ranges (round: depth = width; isotropic: all equal).
    pub fn sample_size(&self, rng: &mut crate::rng::SplitMix64) -> Vec3 {
        let w = rng.range(self.width.0, self.width.1);
        let h = rng.range(self.height.0, self.height.1);
        let d = rng.range(self.depth.0, self.depth.1);
        match (self.isotropic, self.round) {
            (true, _) => Vec3::new(w, w, w),
            (false, true) => Vec3::new(w, h, w),
            _ => Vec3::new(w, h, d),
        }
    }

    /// Parts for a sampled `size`.
    pub fn parts(&self, size: Vec3) -> Vec<Part> {
        (self.build)(size, self.color, self.accent)
    }
}

type R = (f64, f64);

#[allow(clippy::too_many_arguments)]
const fn cat(
    label: &'static str,
    width: R,
    height: R,
    depth: R,
    color: [u8; 3],
    accent: [u8; 3],
    placement: Placement,
    build: Builder,
) -> Category {
    Category {
        label,
        width,
        height,
        depth,
        round: false,
        isotropic: false,
        color,
        accent,
        placement,
        supports: false,
        multiple: false,
        movable: false,
        build,
    }
}

const fn supports(mut c: Category) -> Category {
    c.supports = true;
    c
}
const fn multiple(mut c: Category) -> Category {
    c.multiple = true;
    c
}
const fn movable(mut c: Category) -> Category {
    c.movable = true;
    c
}
const fn round(mut c: Category) -> Category {
    c.round = true;
    c
}

const fn isotropic(mut c: Category) -> Category {
    c.isotropic = true;
    c.round = true;
    c
}

const TABLE_TOPS: &[&str] = &["table", "desk", "cabinet", "box"];
const TV_STANDS: &[&str] = &["cabinet", "table", "desk"];

/// The catalogue: 25 indoor categories.
pub const CATEGORIES: &[Category] = &[
    multiple(movable(cat(
        "chair",
        (0.42, 0.55),
        (0.80, 0.95),
        (0.42, 0.55),
        [196, 58, 48],
        [90, 40, 30],
        Placement::Floor,
        build_chair,
    ))),
    supports(cat(
        "table",
        (0.90, 1.50),
        (0.70, 0.78),
        (0.60, 0.90),
        [176, 124, 72],
        [120, 80, 44],
        Placement::Floor,
        build_table,
    )),
    supports(cat(
        "desk",
        (1.00, 1.50),
        (0.72, 0.78),
        (0.55, 0.75),
        [150, 150, 160],
        [70, 70, 80],
        Placement::AgainstWall,
        build_desk,
    )),
    cat(
        "sofa",
        (1.50, 2.10),
        (0.75, 0.90),
        (0.80, 0.95),
        [222, 122, 52],
        [170, 90, 40],
        Placement::AgainstWall,
        build_sofa,
    ),
    cat(
        "bed",
        (1.40, 1.80),
        (0.90, 1.10),
        (1.90, 2.10),
        [90, 150, 200],
        [235, 235, 240],
        Placement::AgainstWall,
        build_bed,
    ),
    cat(
        "door",
        (0.80, 0.95),
        (1.95, 2.10),
        (0.07, 0.09),
        [110, 66, 38],
        [210, 200, 90],
        Placement::AgainstWall,
        build_door,
    ),
    cat(
        "heater",
        (0.60, 1.00),
        (0.50, 0.70),
        (0.10, 0.15),
        [92, 96, 108],
        [60, 62, 70],
        Placement::AgainstWall,
        build_heater,
    ),
    multiple(round(cat(
        "lamp",
        (0.30, 0.45),
        (1.40, 1.80),
        (0.30, 0.45),
        [250, 230, 140],
        [50, 50, 50],
        Placement::Floor,
        build_lamp,
    ))),
    cat(
        "tv",
        (0.80, 1.30),
        (0.50, 0.80),
        (0.18, 0.25),
        [24, 24, 28],
        [80, 80, 90],
        Placement::OnTop(TV_STANDS),
        build_tv,
    ),
    cat(
        "fridge",
        (0.60, 0.80),
        (1.60, 1.90),
        (0.62, 0.75),
        [225, 232, 238],
        [120, 120, 130],
        Placement::AgainstWall,
        build_fridge,
    ),
    cat(
        "sink",
        (0.50, 0.80),
        (0.95, 1.05),
        (0.45, 0.55),
        [240, 240, 236],
        [140, 150, 160],
        Placement::AgainstWall,
        build_sink,
    ),
    cat(
        "toilet",
        (0.38, 0.45),
        (0.75, 0.85),
        (0.65, 0.75),
        [250, 250, 250],
        [200, 205, 210],
        Placement::AgainstWall,
        build_toilet,
    ),
    multiple(round(cat(
        "plant",
        (0.30, 0.55),
        (0.75, 1.30),
        (0.30, 0.55),
        [60, 160, 70],
        [160, 90, 60],
        Placement::Floor,
        build_plant,
    ))),
    multiple(movable(supports(cat(
        "box",
        (0.30, 0.60),
        (0.25, 0.50),
        (0.30, 0.60),
        [226, 190, 70],
        [226, 190, 70],
        Placement::Floor,
        build_block,
    )))),
    cat(
        "bookshelf",
        (0.70, 1.00),
        (1.50, 1.85),
        (0.28, 0.38),
        [120, 72, 140],
        [80, 48, 96],
        Placement::AgainstWall,
        build_bookshelf,
    ),
    supports(cat(
        "cabinet",
        (0.60, 1.00),
        (0.55, 1.00),
        (0.40, 0.55),
        [62, 104, 172],
        [200, 200, 210],
        Placement::AgainstWall,
        build_cabinet,
    )),
    multiple(round(cat(
        "stool",
        (0.32, 0.42),
        (0.45, 0.70),
        (0.32, 0.42),
        [58, 150, 86],
        [40, 90, 55],
        Placement::Floor,
        build_stool,
    ))),
    multiple(round(cat(
        "bin",
        (0.25, 0.40),
        (0.35, 0.60),
        (0.25, 0.40),
        [110, 110, 100],
        [110, 110, 100],
        Placement::Floor,
        build_bin,
    ))),
    multiple(movable(isotropic(cat(
        "ball",
        (0.22, 0.40),
        (0.22, 0.40),
        (0.22, 0.40),
        [230, 60, 160],
        [230, 60, 160],
        Placement::Floor,
        build_ball,
    )))),
    round(cat(
        "vase",
        (0.12, 0.20),
        (0.25, 0.45),
        (0.12, 0.20),
        [40, 170, 190],
        [40, 170, 190],
        Placement::OnTop(TABLE_TOPS),
        build_vase,
    )),
    cat(
        "microwave",
        (0.45, 0.55),
        (0.28, 0.33),
        (0.35, 0.40),
        [200, 200, 205],
        [30, 30, 34],
        Placement::OnTop(TABLE_TOPS),
        build_microwave,
    ),
    cat(
        "wardrobe",
        (1.00, 1.60),
        (1.90, 2.20),
        (0.55, 0.65),
        [150, 100, 60],
        [220, 200, 120],
        Placement::AgainstWall,
        build_wardrobe,
    ),
    cat(
        "monitor",
        (0.50, 0.70),
        (0.40, 0.55),
        (0.15, 0.20),
        [35, 35, 45],
        [100, 100, 110],
        Placement::OnTop(&["desk", "table"]),
        build_monitor,
    ),
    movable(cat(
        "cart",
        (0.50, 0.70),
        (0.80, 1.00),
        (0.40, 0.50),
        [70, 80, 200],
        [30, 30, 30],
        Placement::Floor,
        build_cart,
    )),
    movable(round(cat(
        "robot",
        (0.40, 0.60),
        (0.60, 0.90),
        (0.40, 0.60),
        [240, 120, 20],
        [60, 60, 70],
        Placement::Floor,
        build_robot,
    ))),
];

/// The category named `label`, if it is in the catalogue.
pub fn category(label: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.label == label)
}

// ---------------------------------------------------------------- builders
// Local frame: x in [-w/2, w/2], y in [-h/2, h/2], z in [-d/2, d/2], front = +Z.

fn ext(s: Vec3) -> (f64, f64, f64) {
    (s.x * 0.5, s.y * 0.5, s.z * 0.5)
}

fn build_block(s: Vec3, c: [u8; 3], _: [u8; 3]) -> Vec<Part> {
    vec![Part::cuboid([0.0; 3], s.to_array(), c)]
}

fn legs(s: Vec3, leg: f64, top_y: f64, a: [u8; 3]) -> Vec<Part> {
    let (w, h, d) = ext(s);
    let len = top_y + h;
    let mut out = Vec::new();
    for sx in [-1.0, 1.0] {
        for sz in [-1.0, 1.0] {
            out.push(Part::cuboid(
                [sx * (w - leg * 0.5), -h + len * 0.5, sz * (d - leg * 0.5)],
                [leg, len, leg],
                a,
            ));
        }
    }
    out
}

fn build_chair(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (w, h, d) = ext(s);
    let seat_top = -h + 0.46;
    let mut p = legs(s, 0.04, seat_top - 0.05, a);
    p.push(Part::cuboid(
        [0.0, seat_top - 0.025, 0.0],
        [s.x, 0.05, s.z],
        c,
    ));
    let back_h = h - seat_top;
    p.push(Part::cuboid(
        [0.0, seat_top + back_h * 0.5, -d + 0.03],
        [2.0 * w, back_h, 0.06],
        c,
    ));
    p
}

fn build_table(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (_, h, _) = ext(s);
    let mut p = legs(s, 0.06, h - 0.04, a);
    p.push(Part::cuboid([0.0, h - 0.02, 0.0], [s.x, 0.04, s.z], c));
    p
}

fn build_desk(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (w, h, _) = ext(s);
    let mut p = vec![Part::cuboid([0.0, h - 0.02, 0.0], [s.x, 0.04, s.z], c)];
    for sx in [-1.0, 1.0] {
        p.push(Part::cuboid(
            [sx * (w - 0.02), -0.02, 0.0],
            [0.04, s.y - 0.04, s.z],
            a,
        ));
    }
    p
}

fn build_sofa(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (w, h, d) = ext(s);
    vec![
        Part::cuboid([0.0, -h + 0.21, 0.05], [s.x - 0.3, 0.42, s.z - 0.1], c),
        Part::cuboid([0.0, 0.0, -d + 0.1], [s.x, s.y, 0.2], a),
        Part::cuboid([-w + 0.075, -h + 0.3, 0.0], [0.15, 0.6, s.z], a),
        Part::cuboid([w - 0.075, -h + 0.3, 0.0], [0.15, 0.6, s.z], a),
    ]
}

fn build_bed(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (_, h, d) = ext(s);
    vec![
        Part::cuboid([0.0, -h + 0.15, 0.0], [s.x, 0.3, s.z], [120, 80, 50]),
        Part::cuboid([0.0, -h + 0.4, 0.05], [s.x - 0.06, 0.2, s.z - 0.1], a),
        Part::cuboid([0.0, 0.0, -d + 0.04], [s.x, s.y, 0.08], c),
    ]
}

fn build_door(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (w, _, d) = ext(s);
    vec![
        Part::cuboid([0.0, 0.0, -d + 0.02], [s.x, s.y, 0.04], c),
        Part::cuboid(
            [w - 0.15, -0.05, 0.04 + (s.z - 0.04) * 0.5 - d],
            [0.14, 0.04, s.z - 0.04],
            a,
        ),
    ]
}

fn build_heater(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (_, h, _) = ext(s);
    vec![
        Part::cuboid([0.0, -0.03, 0.0], [s.x, s.y - 0.06, s.z], c),
        Part::cuboid([0.0, h - 0.03, 0.0], [s.x * 0.9, 0.06, s.z * 0.6], a),
    ]
}

fn build_lamp(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (w, h, _) = ext(s);
    let pole = s.y - 2.0 * w - 0.03;
    vec![
        Part::cylinder([0.0, -h + 0.015, 0.0], w * 0.7, 0.03, a),
        Part::cylinder([0.0, -h + 0.03 + pole * 0.5, 0.0], 0.015, pole, a),
        Part::sphere([0.0, h - w, 0.0], w, c),
    ]
}

fn build_tv(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (_, h, d) = ext(s);
    vec![
        Part::cuboid([0.0, -h + 0.015, 0.0], [s.x * 0.35, 0.03, s.z], a),
        Part::cuboid([0.0, -h + 0.06, -d + 0.05], [0.08, 0.06, 0.04], a),
        Part::cuboid([0.0, 0.045, -d + 0.03], [s.x, s.y - 0.09, 0.06], c),
    ]
}

fn build_fridge(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (w, h, d) = ext(s);
    vec![
        Part::cuboid([0.0, 0.0, -0.02], [s.x, s.y, s.z - 0.04], c),
        Part::cuboid([w - 0.08, h * 0.3, d - 0.02], [0.03, 0.5, 0.04], a),
    ]
}

fn build_sink(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (_, h, d) = ext(s);
    vec![
        Part::cuboid([0.0, -0.125, 0.0], [s.x, s.y - 0.25, s.z], c),
        Part::cylinder([0.0, h - 0.25 + 0.115, -d + 0.05], 0.02, 0.23, a),
        Part::cuboid([0.0, h - 0.02, -d + 0.1], [0.04, 0.04, 0.2], a),
    ]
}

fn build_toilet(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (w, h, d) = ext(s);
    let tank = 0.2;
    vec![
        Part::cuboid([0.0, 0.0, -d + tank * 0.5], [s.x, s.y, tank], a),
        Part::cuboid(
            [0.0, -h + 0.2, -d + tank + (s.z - tank - w) * 0.5],
            [s.x * 0.7, 0.4, s.z - tank - w + 0.02],
            c,
        ),
        Part::cylinder([0.0, -h + 0.2, d - w], w, 0.4, c),
    ]
}

fn build_plant(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (w, h, _) = ext(s);
    let pot = s.y - 2.0 * w;
    vec![
        Part::cylinder([0.0, -h + pot * 0.5, 0.0], w * 0.6, pot, a),
        Part::sphere([0.0, h - w, 0.0], w, c),
    ]
}

fn build_bookshelf(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (w, h, d) = ext(s);
    let t = 0.03;
    let mut p = vec![
        Part::cuboid([-w + t * 0.5, 0.0, 0.0], [t, s.y, s.z], c),
        Part::cuboid([w - t * 0.5, 0.0, 0.0], [t, s.y, s.z], c),
        Part::cuboid([0.0, 0.0, -d + 0.01], [s.x, s.y, 0.02], a),
    ];
    for k in 0..5 {
        let y = -h + t * 0.5 + (s.y - t) * k as f64 / 4.0;
        p.push(Part::cuboid([0.0, y, 0.0], [s.x, t, s.z], c));
    }
    p
}

fn build_cabinet(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (_, h, d) = ext(s);
    vec![
        Part::cuboid([0.0, 0.0, -0.01], [s.x, s.y, s.z - 0.02], c),
        Part::cuboid([-0.06, h * 0.5, d - 0.01], [0.03, 0.12, 0.02], a),
        Part::cuboid([0.06, h * 0.5, d - 0.01], [0.03, 0.12, 0.02], a),
    ]
}

fn build_stool(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (w, h, _) = ext(s);
    vec![
        Part::cylinder([0.0, -h + 0.015, 0.0], w * 0.8, 0.03, a),
        Part::cylinder([0.0, 0.0, 0.0], 0.03, s.y - 0.06, a),
        Part::cylinder([0.0, h - 0.03, 0.0], w, 0.06, c),
    ]
}

fn build_bin(s: Vec3, c: [u8; 3], _: [u8; 3]) -> Vec<Part> {
    vec![Part::cylinder([0.0; 3], s.x * 0.5, s.y, c)]
}

fn build_ball(s: Vec3, c: [u8; 3], _: [u8; 3]) -> Vec<Part> {
    vec![Part::sphere([0.0; 3], s.x * 0.5, c)]
}

fn build_vase(s: Vec3, c: [u8; 3], _: [u8; 3]) -> Vec<Part> {
    let (w, h, _) = ext(s);
    vec![
        Part::cylinder([0.0, -0.02, 0.0], w, s.y - 0.04, c),
        Part::cylinder([0.0, h - 0.02, 0.0], w * 0.6, 0.04, c),
    ]
}

fn build_microwave(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (w, _, d) = ext(s);
    vec![
        Part::cuboid([0.0, 0.0, -0.005], [s.x, s.y, s.z - 0.01], c),
        Part::cuboid([-w * 0.2, 0.0, d - 0.005], [s.x * 0.55, s.y * 0.7, 0.01], a),
    ]
}

fn build_wardrobe(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (_, _, d) = ext(s);
    vec![
        Part::cuboid([0.0, 0.0, -0.015], [s.x, s.y, s.z - 0.03], c),
        Part::cuboid([-0.05, 0.0, d - 0.015], [0.03, 0.4, 0.03], a),
        Part::cuboid([0.05, 0.0, d - 0.015], [0.03, 0.4, 0.03], a),
    ]
}

fn build_monitor(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (_, h, d) = ext(s);
    vec![
        Part::cuboid([0.0, -h + 0.01, 0.0], [s.x * 0.4, 0.02, s.z], a),
        Part::cuboid([0.0, -h + 0.07, -d + 0.04], [0.05, 0.1, 0.03], a),
        Part::cuboid([0.0, 0.06, -d + 0.02], [s.x, s.y - 0.12, 0.04], c),
    ]
}

fn build_cart(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (w, h, d) = ext(s);
    let r = 0.05;
    let mut p = Vec::new();
    for sx in [-1.0, 1.0] {
        for sz in [-1.0, 1.0] {
            p.push(Part::sphere([sx * (w - r), -h + r, sz * (d - r)], r, a));
        }
    }
    let basket = s.y * 0.55;
    p.push(Part::cuboid(
        [0.0, -h + 2.0 * r + basket * 0.5, 0.0],
        [s.x, basket, s.z],
        c,
    ));
    let handle = s.y - 2.0 * r - basket;
    p.push(Part::cuboid(
        [0.0, h - handle * 0.5, -d + 0.02],
        [s.x, handle, 0.04],
        a,
    ));
    p
}

fn build_robot(s: Vec3, c: [u8; 3], a: [u8; 3]) -> Vec<Part> {
    let (w, h, _) = ext(s);
    let head = w * 0.6;
    vec![
        Part::cylinder(
            [0.0, -h + (s.y - 2.0 * head) * 0.5, 0.0],
            w,
            s.y - 2.0 * head,
            c,
        ),
        Part::sphere([0.0, h - head, 0.0], head, a),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::Shape;

    fn extents(parts: &[Part]) -> (Vec3, Vec3) {
        let mut lo = Vec3::new(f64::INFINITY, f64::INFINITY, f64::INFINITY);
        let mut hi = -lo;
        for p in parts {
            let h = p.size * 0.5;
            lo = Vec3::new(
                lo.x.min(p.center.x - h.x),
                lo.y.min(p.center.y - h.y),
                lo.z.min(p.center.z - h.z),
            );
            hi = Vec3::new(
                hi.x.max(p.center.x + h.x),
                hi.y.max(p.center.y + h.y),
                hi.z.max(p.center.z + h.z),
            );
        }
        (lo, hi)
    }

    #[test]
    fn catalogue_is_large_and_labels_do_not_overlap() {
        assert!(CATEGORIES.len() >= 20);
        for (i, a) in CATEGORIES.iter().enumerate() {
            for b in &CATEGORIES[i + 1..] {
                assert_ne!(a.label, b.label);
                let words = |l: &str| l.split(' ').map(str::to_owned).collect::<Vec<_>>();
                let (wa, wb) = (words(a.label), words(b.label));
                assert!(!wa.iter().all(|w| wb.contains(w)) && !wb.iter().all(|w| wa.contains(w)));
            }
            for (lo, hi) in [a.width, a.height, a.depth] {
                assert!(0.0 < lo && lo <= hi && hi < 2.5, "{}", a.label);
            }
            if let Placement::OnTop(under) = a.placement {
                for u in under {
                    assert!(category(u).is_some_and(|c| c.supports), "{u}");
                }
            }
        }
    }

    #[test]
    fn parts_fill_exactly_the_bounding_extent() {
        for c in CATEGORIES {
            for (fw, fh, fd) in [(0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (0.3, 0.8, 0.5)] {
                let lerp = |r: R, f: f64| r.0 + (r.1 - r.0) * f;
                let w = lerp(c.width, fw);
                let d = if c.round { w } else { lerp(c.depth, fd) };
                let h = if c.isotropic { w } else { lerp(c.height, fh) };
                let size = Vec3::new(w, h, d);
                let parts = c.parts(size);
                assert!(!parts.is_empty());
                let (lo, hi) = extents(&parts);
                let want = size * 0.5;
                for (got, w) in [(lo, -want), (hi, want)] {
                    assert!((got - w).norm() < 1e-9, "{}: {got:?} vs {w:?}", c.label);
                }
                for p in &parts {
                    assert!(
                        p.size.x > 0.0 && p.size.y > 0.0 && p.size.z > 0.0,
                        "{}",
                        c.label
                    );
                    if p.shape != Shape::Cuboid {
                        assert!((p.size.x - p.size.z).abs() < 1e-12, "{}", c.label);
                    }
                }
            }
        }
    }
}
