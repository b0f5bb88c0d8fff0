//! Triangle meshes built from a scene: the rasterizer's only input.
//!
//! Every triangle belongs to a planar `Face` that carries the instance id, colour, outward
//! normal and material. Shading is per face (flat Lambert), so a face is the natural unit for
//! deferred shading and outline drawing.

use crate::geometry::OrientedBox;
use crate::math::Vec3;
use crate::scene::{
    INSTANCE_CEILING, INSTANCE_FLOOR, INSTANCE_WALL, Object, Primitive, Room, Scene,
};

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

    fn add_quad(&mut self, q: [Vec3; 4], face: Face) {
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
        match o.primitive {
            Primitive::Cuboid => self.add_box(&o.oriented_box(), o.instance_id, rgb(o.color)),
        }
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
                self.add_quad(
                    q,
                    Face {
                        instance,
                        color,
                        normal: n,
                        material: Material::Flat,
                    },
                );
            }
        }
    }
}
