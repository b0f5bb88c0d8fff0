//! Triangle meshes built from a scene: the rasterizer's only input.
//!
//! Every triangle belongs to a planar `Face` that carries the instance id, colour, outward
//! normal and material. Shading is per face (flat Lambert), so a face is the natural unit for
//! deferred shading and outline drawing.

use crate::geometry::OrientedBox;
use crate::math::{Vec3, sin_cos};
use crate::primitives::Solid;
use crate::scene::{INSTANCE_CEILING, INSTANCE_FLOOR, INSTANCE_WALL, Object, Room, Scene};

/// Facets around a cylinder and a sphere. Facets are inscribed: a cylinder's lie within
/// r·(1 − cos(π/32)) ≈ 0.5 % of the radius of the true surface, a sphere's within about 1 %.
pub(crate) const CYLINDER_SEGMENTS: usize = 32;
pub(crate) const SPHERE_SEGMENTS: usize = 32;
pub(crate) const SPHERE_RINGS: usize = 16;

/// Surface appearance of a face.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Material {
    Flat,
    /// World-space XZ checkerboard of `tile` metres alternating `color` and `alt`.
    Checker {
        tile: f64,
        alt: [f32; 3],
    },
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Face {
    pub instance: u16,
    /// Smooth surface this face belongs to: outlines are drawn only between groups, so the
    /// facets of a tessellated cylinder or sphere read as one surface.
    pub group: u32,
    pub color: [f32; 3],
    /// Unit normal pointing to the side the face is seen from.
    pub normal: Vec3,
    pub material: Material,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Triangle {
    pub v: [Vec3; 3],
    pub face: u32,
}

#[derive(Debug, Default)]
pub(crate) struct Mesh {
    pub faces: Vec<Face>,
    pub tris: Vec<Triangle>,
    groups: u32,
}

pub(crate) const FLOOR_TILE_M: f64 = 0.5;
const FLOOR_A: [u8; 3] = [196, 176, 146];
const FLOOR_B: [u8; 3] = [158, 136, 106];
const WALL: [u8; 3] = [224, 219, 206];
const CEILING: [u8; 3] = [242, 242, 238];

fn rgb(c: [u8; 3]) -> [f32; 3] {
    c.map(f32::from)
}

impl Mesh {
    /// Room shell (faces seen from inside) plus all objects.
    pub fn from_scene(scene: &Scene) -> Mesh {
        let mut m = Mesh::default();
        m.add_room(&scene.room);
        for o in &scene.objects {
            m.add_object(o);
        }
        m
    }

    /// Objects only, no room: used to measure how much of an object occlusion hides.
    pub fn from_objects<'a>(objects: impl IntoIterator<Item = &'a Object>) -> Mesh {
        let mut m = Mesh::default();
        for o in objects {
            m.add_object(o);
        }
        m
    }

    fn new_group(&mut self) -> u32 {
        self.groups += 1;
        self.groups
    }

    fn add_quad(&mut self, q: [Vec3; 4], mut face: Face) {
        if face.group == 0 {
            face.group = self.new_group();
        }
        let id = self.faces.len() as u32;
        self.faces.push(face);
        self.tris.push(Triangle {
            v: [q[0], q[1], q[2]],
            face: id,
        });
        self.tris.push(Triangle {
            v: [q[0], q[2], q[3]],
            face: id,
        });
    }

    fn add_room(&mut self, r: &Room) {
        let (x0, x1, z0, z1, h) = (r.min_x(), r.max_x(), r.min_z(), r.max_z(), r.height);
        let p = Vec3::new;
        let flat = |instance, color, normal| Face {
            instance,
            group: 0,
            color: rgb(color),
            normal,
            material: Material::Flat,
        };
        self.add_quad(
            [
                p(x0, 0.0, z0),
                p(x1, 0.0, z0),
                p(x1, 0.0, z1),
                p(x0, 0.0, z1),
            ],
            Face {
                instance: INSTANCE_FLOOR,
                group: 0,
                color: rgb(FLOOR_A),
                normal: Vec3::UP,
                material: Material::Checker {
                    tile: FLOOR_TILE_M,
                    alt: rgb(FLOOR_B),
                },
            },
        );
        self.add_quad(
            [p(x0, h, z0), p(x0, h, z1), p(x1, h, z1), p(x1, h, z0)],
            flat(INSTANCE_CEILING, CEILING, -Vec3::UP),
        );
        let walls = [
            (
                [p(x0, 0.0, z0), p(x0, h, z0), p(x1, h, z0), p(x1, 0.0, z0)],
                p(0.0, 0.0, 1.0),
            ),
            (
                [p(x0, 0.0, z1), p(x1, 0.0, z1), p(x1, h, z1), p(x0, h, z1)],
                p(0.0, 0.0, -1.0),
            ),
            (
                [p(x0, 0.0, z0), p(x0, 0.0, z1), p(x0, h, z1), p(x0, h, z0)],
                p(1.0, 0.0, 0.0),
            ),
            (
                [p(x1, 0.0, z0), p(x1, h, z0), p(x1, h, z1), p(x1, 0.0, z1)],
                p(-1.0, 0.0, 0.0),
            ),
        ];
        for (q, n) in walls {
            self.add_quad(q, flat(INSTANCE_WALL, WALL, n));
        }
    }

    fn add_object(&mut self, o: &Object) {
        for (solid, color) in o.solids() {
            let color = rgb(color);
            match solid {
                Solid::Cuboid(b) => self.add_box(&b, o.instance_id, color),
                Solid::Cylinder {
                    center,
                    radius,
                    half_height,
                } => self.add_cylinder(center, radius, half_height, o.instance_id, color),
                Solid::Sphere { center, radius } => {
                    self.add_sphere(center, radius, o.instance_id, color)
                }
            }
        }
    }

    fn face(&self, instance: u16, group: u32, color: [f32; 3], normal: Vec3) -> Face {
        Face {
            instance,
            group,
            color,
            normal,
            material: Material::Flat,
        }
    }

    fn add_tri(&mut self, v: [Vec3; 3], face: Face) {
        let id = self.faces.len() as u32;
        self.faces.push(face);
        self.tris.push(Triangle { v, face: id });
    }

    fn add_box(&mut self, b: &OrientedBox, instance: u16, color: [f32; 3]) {
        let c = b.corners();
        for axis in 0..3 {
            let (u, v) = ((axis + 1) % 3, (axis + 2) % 3);
            for positive in [false, true] {
                let base = if positive { 1 << axis } else { 0 };
                // Walk the face's four corners in cyclic order over the other two bits.
                let q = [0, 1 << u, (1 << u) | (1 << v), 1 << v].map(|bits| c[base | bits]);
                let n = if positive {
                    b.axes[axis]
                } else {
                    -b.axes[axis]
                };
                let face = self.face(instance, 0, color, n);
                self.add_quad(q, face);
            }
        }
    }

    fn add_cylinder(&mut self, c: Vec3, r: f64, hh: f64, instance: u16, color: [f32; 3]) {
        let n = CYLINDER_SEGMENTS;
        let ring: Vec<(f64, f64)> = (0..n)
            .map(|k| sin_cos(std::f64::consts::TAU * k as f64 / n as f64))
            .collect();
        let at = |k: usize, y: f64| {
            let (s, co) = ring[k % n];
            Vec3::new(c.x + r * co, y, c.z + r * s)
        };
        let (y0, y1) = (c.y - hh, c.y + hh);
        let side = self.new_group();
        for k in 0..n {
            let mid = sin_cos(std::f64::consts::TAU * (k as f64 + 0.5) / n as f64);
            let normal = Vec3::new(mid.1, 0.0, mid.0);
            let face = self.face(instance, side, color, normal);
            self.add_quad([at(k, y0), at(k + 1, y0), at(k + 1, y1), at(k, y1)], face);
        }
        for (y, normal) in [(y1, Vec3::UP), (y0, -Vec3::UP)] {
            let group = self.new_group();
            let face = self.face(instance, group, color, normal);
            let centre = Vec3::new(c.x, y, c.z);
            for k in 0..n {
                self.add_tri([centre, at(k, y), at(k + 1, y)], face);
            }
        }
    }

    fn add_sphere(&mut self, c: Vec3, r: f64, instance: u16, color: [f32; 3]) {
        let (n, m) = (SPHERE_SEGMENTS, SPHERE_RINGS);
        let lon: Vec<(f64, f64)> = (0..n)
            .map(|k| sin_cos(std::f64::consts::TAU * k as f64 / n as f64))
            .collect();
        let lat: Vec<(f64, f64)> = (0..=m)
            .map(|i| sin_cos(std::f64::consts::PI * i as f64 / m as f64))
            .collect();
        // Ring i at polar angle pi*i/m from +Y.
        let at = |i: usize, k: usize| {
            let (st, ct) = lat[i];
            let (sp, cp) = lon[k % n];
            c + Vec3::new(st * cp, ct, st * sp) * r
        };
        let group = self.new_group();
        for i in 0..m {
            for k in 0..n {
                let q = [at(i, k), at(i + 1, k), at(i + 1, k + 1), at(i, k + 1)];
                // Outward normal of the facet's plane (exact: culling depends on it).
                let mid = (q[0] + q[1] + q[2] + q[3]) * 0.25 - c;
                let cross = if i == 0 {
                    (q[1] - q[0]).cross(q[2] - q[0])
                } else if i + 1 == m {
                    (q[1] - q[0]).cross(q[3] - q[0])
                } else {
                    (q[2] - q[0]).cross(q[3] - q[1])
                };
                let cross = if cross.dot(mid) < 0.0 { -cross } else { cross };
                let normal = cross.normalized().unwrap_or(Vec3::UP);
                let face = self.face(instance, group, color, normal);
                if i == 0 {
                    self.add_tri([q[0], q[1], q[2]], face);
                } else if i + 1 == m {
                    self.add_tri([q[0], q[1], q[3]], face);
                } else {
                    self.add_quad(q, face);
                }
            }
        }
    }
}
