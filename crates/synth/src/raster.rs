//! Our own z-buffered triangle rasterizer with deferred flat Lambert shading.
//!
//! Two passes: visibility (near-plane clipping, perspective-correct depth, z-buffer of face
//! ids), then shading once per pixel. Shading after visibility means overdraw costs only a
//! depth compare, which keeps a 640×480 frame within a few milliseconds.
//!
//! Sampling: pixel (u, v) is sampled at image coordinate (u, v) (integer = pixel centre, see
//! `camera`). Coverage is inclusive on edges, so shared edges never leave cracks.

use crate::camera::Camera;
use crate::frame::Frame;
use crate::math::Vec3;
use crate::mesh::{Face, Material, Mesh};
use crate::scene::{INSTANCE_BACKGROUND, Scene};

/// Near clipping plane, metres in front of the camera centre.
pub const NEAR_M: f64 = 0.01;
/// Face-buffer value of pixels no triangle covers.
pub(crate) const NO_FACE: u32 = u32::MAX;

/// Direction towards the light (normalised at use), ambient and diffuse weights.
const LIGHT_DIR: Vec3 = Vec3::new(0.35, 1.0, 0.55);
const AMBIENT: f32 = 0.55;
const DIFFUSE: f32 = 0.45;
/// Darkening of pixels on a face boundary: cheap outlines that make box edges readable.
const OUTLINE: f32 = 0.72;
const BACKGROUND_RGB: [u8; 3] = [28, 28, 32];

/// Visibility pass output: camera-z depth (f32::INFINITY where nothing was hit) and the id of
/// the face seen at each pixel (`NO_FACE` there).
pub(crate) struct Raster {
    pub depth: Vec<f32>,
    pub face: Vec<u32>,
}

/// A projected vertex: pixel coordinates and reciprocal camera depth.
#[derive(Clone, Copy)]
struct Screen {
    u: f64,
    v: f64,
    inv_z: f64,
}

/// Render `scene` through `camera`: colour, exact depth, instance ids.
pub fn render(scene: &Scene, camera: &Camera) -> Frame {
    let mesh = Mesh::from_scene(scene);
    let raster = rasterize(&mesh, camera);
    let rgb = shade(&mesh, &raster, camera);
    let instance = raster
        .face
        .iter()
        .map(|&f| {
            if f == NO_FACE {
                INSTANCE_BACKGROUND
            } else {
                mesh.faces[f as usize].instance
            }
        })
        .collect();
    Frame {
        width: camera.width(),
        height: camera.height(),
        rgb,
        depth: raster.depth,
        instance,
        camera: *camera,
    }
}

pub(crate) fn rasterize(mesh: &Mesh, camera: &Camera) -> Raster {
    let (w, h) = (camera.width() as usize, camera.height() as usize);
    let mut out = Raster {
        depth: vec![f32::INFINITY; w * h],
        face: vec![NO_FACE; w * h],
    };
    let k = *camera.intrinsics();
    let eye = camera.position();
    for tri in &mesh.tris {
        let face = &mesh.faces[tri.face as usize];
        // Back-facing or edge-on: invisible for closed solids and the inward room shell.
        let facing = face.normal.dot(tri.v[0] - eye);
        if facing >= 0.0 || facing.is_nan() {
            continue;
        }
        let cam = tri.v.map(|p| camera.world_to_camera(p));
        if !cam.iter().all(|p| p.is_finite()) {
            continue;
        }
        let (poly, n) = clip_near(&cam);
        if n < 3 {
            continue;
        }
        let proj = poly.map(|p| Screen {
            u: k.fx * p.x / p.z + k.cx,
            v: k.fy * p.y / p.z + k.cy,
            inv_z: 1.0 / p.z,
        });
        for i in 1..n - 1 {
            fill_triangle([proj[0], proj[i], proj[i + 1]], tri.face, w, h, &mut out);
        }
    }
    out
}

/// Sutherland–Hodgman against z ≥ NEAR_M. A triangle becomes at most a quad.
fn clip_near(tri: &[Vec3; 3]) -> ([Vec3; 4], usize) {
    let mut out = [Vec3::ZERO; 4];
    let mut n = 0;
    for i in 0..3 {
        let (a, b) = (tri[i], tri[(i + 1) % 3]);
        let (a_in, b_in) = (a.z >= NEAR_M, b.z >= NEAR_M);
        if a_in {
            out[n] = a;
            n += 1;
        }
        if a_in != b_in {
            // Always interpolate from the inside end so that an edge shared by two triangles
            // is cut at bit-identical points whichever way round they walk it.
            let (p, q) = if a_in { (a, b) } else { (b, a) };
            let t = (NEAR_M - p.z) / (q.z - p.z);
            let mut x = p + (q - p) * t;
            x.z = NEAR_M;
            out[n] = x;
            n += 1;
        }
    }
    (out, n)
}

fn fill_triangle(t: [Screen; 3], face: u32, w: usize, h: usize, out: &mut Raster) {
    let [a, mut b, mut c] = t;
    let orient =
        |p: Screen, q: Screen, x: f64, y: f64| (q.u - p.u) * (y - p.v) - (q.v - p.v) * (x - p.u);
    let mut area = orient(a, b, c.u, c.v);
    if !area.is_finite() || area.abs() < 1e-12 {
        return;
    }
    if area < 0.0 {
        std::mem::swap(&mut b, &mut c);
        area = -area;
    }
    let min = |x: f64, y: f64, z: f64| x.min(y).min(z);
    let max = |x: f64, y: f64, z: f64| x.max(y).max(z);
    let x0 = min(a.u, b.u, c.u).ceil().max(0.0);
    let x1 = max(a.u, b.u, c.u).floor().min(w as f64 - 1.0);
    let y0 = min(a.v, b.v, c.v).ceil().max(0.0);
    let y1 = max(a.v, b.v, c.v).floor().min(h as f64 - 1.0);
    if !(x0 <= x1 && y0 <= y1) {
        return;
    }
    let (x0, x1, y0, y1) = (x0 as usize, x1 as usize, y0 as usize, y1 as usize);
    // Edge functions e(x, y) = ex * x + ey * y + e0; edge i is opposite vertex i.
    let edge = |p: Screen, q: Screen| {
        let ex = -(q.v - p.v);
        let ey = q.u - p.u;
        (ex, ey, -(ex * p.u + ey * p.v))
    };
    let inv_area = 1.0 / area;
    let e = [edge(b, c), edge(c, a), edge(a, b)];
    let iz = [a.inv_z, b.inv_z, c.inv_z];
    for y in y0..=y1 {
        let yf = y as f64;
        let row = [
            e[0].1 * yf + e[0].2,
            e[1].1 * yf + e[1].2,
            e[2].1 * yf + e[2].2,
        ];
        // Analytic span of this row, widened by a pixel against rounding; the exact inside
        // test below still decides each pixel.
        let (mut lo, mut hi) = (x0 as f64, x1 as f64);
        for i in 0..3 {
            let (ex, r) = (e[i].0, row[i]);
            if ex > 0.0 {
                lo = lo.max(-r / ex - 1.0);
            } else if ex < 0.0 {
                hi = hi.min(-r / ex + 1.0);
            } else if r < 0.0 {
                hi = lo - 1.0;
            }
        }
        // Also rejects NaN bounds.
        if lo
            .partial_cmp(&hi)
            .is_none_or(|o| o == std::cmp::Ordering::Greater)
        {
            continue;
        }
        // lo, hi lie within [x0, x1] here, so truncation is floor.
        let (xs, xe) = ((lo as usize).max(x0), (hi as usize).min(x1));
        let base = y * w;
        for x in xs..=xe {
            let xf = x as f64;
            let w0 = e[0].0 * xf + row[0];
            let w1 = e[1].0 * xf + row[1];
            let w2 = e[2].0 * xf + row[2];
            if w0 < 0.0 || w1 < 0.0 || w2 < 0.0 {
                continue;
            }
            let inv_z = (w0 * iz[0] + w1 * iz[1] + w2 * iz[2]) * inv_area;
            let z = (1.0 / inv_z) as f32;
            let i = base + x;
            if z < out.depth[i] {
                out.depth[i] = z;
                out.face[i] = face;
            }
        }
    }
}

/// Per-pixel colour from the face buffer: flat Lambert, floor checker, outlines.
fn shade(mesh: &Mesh, r: &Raster, camera: &Camera) -> Vec<u8> {
    let (w, h) = (camera.width() as usize, camera.height() as usize);
    let light = LIGHT_DIR.normalized().unwrap_or(Vec3::UP);
    // Per face: [plain, checker-alternate] x [inner, outline] colours, computed once.
    let palette: Vec<[[u8; 3]; 4]> = mesh
        .faces
        .iter()
        .map(|f| {
            let lit = AMBIENT + DIFFUSE * (f.normal.dot(light).max(0.0) as f32);
            let alt = match f.material {
                Material::Checker { alt, .. } => alt,
                Material::Flat => f.color,
            };
            let to_u8 = |c: [f32; 3], s: f32| c.map(|v| (v * s + 0.5).clamp(0.0, 255.0) as u8);
            [
                to_u8(f.color, lit),
                to_u8(alt, lit),
                to_u8(f.color, lit * OUTLINE),
                to_u8(alt, lit * OUTLINE),
            ]
        })
        .collect();
    let k = *camera.intrinsics();
    let (eye, right, down, fwd) = (
        camera.position(),
        camera.right(),
        camera.down(),
        camera.forward(),
    );
    // World ray (camera z = 1) = column part + row part; only X and Z matter for the floor.
    let col_ray: Vec<(f64, f64)> = (0..w)
        .map(|x| {
            let a = (x as f64 - k.cx) / k.fx;
            (right.x * a, right.z * a)
        })
        .collect();
    let mut rgb = vec![0u8; w * h * 3];
    for y in 0..h {
        let b = (y as f64 - k.cy) / k.fy;
        let (row_x, row_z) = (down.x * b + fwd.x, down.z * b + fwd.z);
        for (x, &(col_x, col_z)) in col_ray.iter().enumerate() {
            let i = y * w + x;
            let f = r.face[i];
            let px = &mut rgb[i * 3..i * 3 + 3];
            if f == NO_FACE {
                px.copy_from_slice(&BACKGROUND_RGB);
                continue;
            }
            let face: &Face = &mesh.faces[f as usize];
            let mut pick = 0;
            if let Material::Checker { tile, .. } = face.material {
                let z = f64::from(r.depth[i]);
                let px_w = eye.x + (row_x + col_x) * z;
                let pz_w = eye.z + (row_z + col_z) * z;
                if checker_parity(px_w / tile) != checker_parity(pz_w / tile) {
                    pick = 1;
                }
            }
            let other = |j: usize| {
                let g = r.face[j];
                g != f && (g == NO_FACE || mesh.faces[g as usize].group != face.group)
            };
            let edge = (x + 1 < w && other(i + 1)) || (y + 1 < h && other(i + w));
            if edge {
                pick += 2;
            }
            px.copy_from_slice(&palette[f as usize][pick]);
        }
    }
    rgb
}

/// Parity of floor(t) without calling `floor` (a libm call on baseline x86-64); exact for
/// |t| < 1e6, far beyond any room. The offset is even, so parity is unchanged.
fn checker_parity(t: f64) -> bool {
    ((t + 1.0e6) as i64) & 1 == 1
}
