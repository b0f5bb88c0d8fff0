//! 4×4 rigid transforms (camera-to-world poses, row-major) and 3×3 pinhole intrinsics, shared
//! by every backend that re-expresses poses relative to the first camera or brings a model's
//! camera to the input resolution.

pub type Mat4 = [[f64; 4]; 4];

pub const IDENTITY: Mat4 = [
    [1.0, 0.0, 0.0, 0.0],
    [0.0, 1.0, 0.0, 0.0],
    [0.0, 0.0, 1.0, 0.0],
    [0.0, 0.0, 0.0, 1.0],
];

pub fn mat_mul(a: &Mat4, b: &Mat4) -> Mat4 {
    let mut out = [[0.0; 4]; 4];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = (0..4).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    out
}

/// Inverse of a rigid transform [R t; 0 1]: [Rᵀ −Rᵀt; 0 1].
pub fn rigid_inverse(m: &Mat4) -> Mat4 {
    let mut out = [[0.0; 4]; 4];
    for i in 0..3 {
        for j in 0..3 {
            out[i][j] = m[j][i];
        }
        out[i][3] = -(0..3).map(|k| m[k][i] * m[k][3]).sum::<f64>();
    }
    out[3][3] = 1.0;
    out
}

/// A pinhole K (row-major 3×3) at a resolution scaled by `sx` horizontally and `sy`
/// vertically: focal lengths, skew and principal point follow the axes (§4.2 step 11); the
/// bottom row stays [0, 0, 1].
pub fn scale_intrinsics(k: &[f64], sx: f64, sy: f64) -> [f64; 9] {
    [
        k[0] * sx,
        k[1],
        k[2] * sx,
        k[3],
        k[4] * sy,
        k[5] * sy,
        0.0,
        0.0,
        1.0,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intrinsics_follow_the_resolution() {
        let k = [500.0, 0.0, 320.0, 0.0, 400.0, 240.0, 0.0, 0.0, 1.0];
        let half = scale_intrinsics(&k, 0.5, 0.25);
        assert_eq!(half, [250.0, 0.0, 160.0, 0.0, 100.0, 60.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn a_rigid_transform_times_its_inverse_is_the_identity() {
        let (c, s) = (0.3f64.cos(), 0.3f64.sin());
        let m: Mat4 = [
            [c, 0.0, s, 1.5],
            [0.0, 1.0, 0.0, -2.0],
            [-s, 0.0, c, 0.25],
            [0.0, 0.0, 0.0, 1.0],
        ];
        for p in [
            mat_mul(&m, &rigid_inverse(&m)),
            mat_mul(&rigid_inverse(&m), &m),
        ] {
            for i in 0..4 {
                for j in 0..4 {
                    assert!((p[i][j] - IDENTITY[i][j]).abs() < 1e-12, "{p:?}");
                }
            }
        }
        assert_eq!(mat_mul(&IDENTITY, &m), m);
    }
}
