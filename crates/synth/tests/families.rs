//! Every question family's answer, re-derived in the test by an independent computation:
//! from rendered pixels, hand-written projections, dense surface sampling or libm
//! trigonometry, never by calling the generator's own answer code.

use spatialclaw_synth::questions::{Answer, Family, templates as t};
use spatialclaw_synth::sample::{Sample, SampleOptions, generate_sample};
use spatialclaw_synth::{Camera, FIRST_OBJECT_INSTANCE, Object, Shape, Vec3};

const SEEDS: [u64; 2] = [3, 11];

fn samples(family: Family) -> Vec<Sample> {
    SEEDS
        .iter()
        .map(|&s| generate_sample(s, family, &SampleOptions::default()).unwrap())
        .collect()
}

fn number(s: &Sample) -> f64 {
    match &s.question.answer {
        Answer::Number { value, .. } => *value,
        a => panic!("numeric answer expected, got {a:?}"),
    }
}

fn choice(s: &Sample) -> String {
    match &s.question.answer {
        Answer::Choice { letter, text } => {
            let k = (letter.as_bytes()[0] - b'A') as usize;
            assert_eq!(
                &s.question.choices[k], text,
                "letter points at the answer text"
            );
            assert!(s.question.prompt.contains(&format!("\n{letter}. {text}")));
            let mut uniq = s.question.choices.clone();
            uniq.sort();
            uniq.dedup();
            assert_eq!(uniq.len(), s.question.choices.len(), "distinct options");
            text.clone()
        }
        a => panic!("choice answer expected, got {a:?}"),
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let a = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} in {text:?}"))
        + start.len();
    let b = text[a..].find(end).unwrap() + a;
    &text[a..b]
}

fn object<'a>(s: &'a Sample, label: &str) -> &'a Object {
    let mut it = s.scene.objects.iter().filter(|o| o.label == label);
    let o = it.next().unwrap_or_else(|| panic!("no {label}"));
    assert!(it.next().is_none(), "{label} is ambiguous");
    o
}

/// Pixels of object `o` in frame `f`, straight from the instance buffer.
fn pixels(s: &Sample, f: usize, o: &Object) -> usize {
    s.frames[f]
        .instance
        .iter()
        .filter(|&&i| i == o.instance_id)
        .count()
}

/// Camera coordinates by inverting the pose matrix by hand (transpose of the rotation).
fn to_camera(cam: &Camera, p: Vec3) -> [f64; 3] {
    let m = cam.pose();
    let d = [p.x - m[0][3], p.y - m[1][3], p.z - m[2][3]];
    std::array::from_fn(|j| m[0][j] * d[0] + m[1][j] * d[1] + m[2][j] * d[2])
}

/// Dense surface samples of an object's actual parts (libm trig, own parametrisation).
fn surface(o: &Object) -> Vec<Vec3> {
    let (s, c) = (o.yaw.sin(), o.yaw.cos());
    let world = |l: Vec3| o.center + Vec3::new(c * l.x + s * l.z, l.y, -s * l.x + c * l.z);
    let mut out = Vec::new();
    let n = 16;
    for p in &o.parts {
        let h = p.size * 0.5;
        match p.shape {
            Shape::Cuboid => {
                for i in 0..=n {
                    for j in 0..=n {
                        let (a, b) = (
                            2.0 * i as f64 / n as f64 - 1.0,
                            2.0 * j as f64 / n as f64 - 1.0,
                        );
                        for sgn in [-1.0, 1.0] {
                            for l in [
                                Vec3::new(sgn * h.x, a * h.y, b * h.z),
                                Vec3::new(a * h.x, sgn * h.y, b * h.z),
                                Vec3::new(a * h.x, b * h.y, sgn * h.z),
                            ] {
                                out.push(world(p.center + l));
                            }
                        }
                    }
                }
            }
            Shape::Cylinder | Shape::Sphere => {
                for i in 0..4 * n {
                    let a = std::f64::consts::TAU * i as f64 / (4 * n) as f64;
                    for j in 0..=n {
                        let f = 2.0 * j as f64 / n as f64 - 1.0;
                        let l = if p.shape == Shape::Cylinder {
                            Vec3::new(h.x * a.cos(), f * h.y, h.x * a.sin())
                        } else {
                            let r = (1.0 - f * f).sqrt();
                            Vec3::new(h.x * r * a.cos(), f * h.y, h.x * r * a.sin())
                        };
                        out.push(world(p.center + l));
                        if p.shape == Shape::Cylinder {
                            for cap in [-1.0, 1.0] {
                                let k = j as f64 / n as f64;
                                out.push(world(
                                    p.center
                                        + Vec3::new(
                                            k * h.x * a.cos(),
                                            cap * h.y,
                                            k * h.x * a.sin(),
                                        ),
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

fn sampled_distance(a: &Object, b: &Object) -> f64 {
    let (pa, pb) = (surface(a), surface(b));
    let mut best = f64::INFINITY;
    for p in &pa {
        for q in &pb {
            best = best.min((*p - *q).norm());
        }
    }
    best
}

fn quadrant(forward: f64, right: f64) -> &'static str {
    match (forward > 0.0, right > 0.0) {
        (true, false) => "front-left",
        (true, true) => "front-right",
        (false, false) => "back-left",
        (false, true) => "back-right",
    }
}

#[test]
fn object_count_matches_the_instance_buffer() {
    for s in samples(Family::ObjectCount) {
        let plural = between(&s.question.question, t::COUNT, t::COUNT_END);
        let visible = s
            .scene
            .objects
            .iter()
            .filter(|o| plural.starts_with(&o.label) && pixels(&s, 0, o) > 0)
            .count();
        assert_eq!(number(&s), visible as f64, "{}", s.question.question);
    }
}

#[test]
fn centroid_distance_matches_the_box_centres() {
    for s in samples(Family::DistanceCentroid) {
        let q = &s.question.question;
        let a = object(&s, between(q, t::CENTROID, t::CENTROID_MID));
        let b = object(&s, between(q, t::CENTROID_MID, "?"));
        let d = ((a.center.x - b.center.x).powi(2)
            + (a.center.y - b.center.y).powi(2)
            + (a.center.z - b.center.z).powi(2))
        .sqrt();
        assert!((number(&s) - d).abs() < 1e-9);
    }
}

#[test]
fn closest_distance_matches_dense_surface_sampling() {
    for s in samples(Family::DistanceClosest) {
        let q = &s.question.question;
        let a = object(&s, between(q, t::CLOSEST, t::CLOSEST_MID));
        let b = object(&s, between(q, t::CLOSEST_MID, "?"));
        let sampled = sampled_distance(a, b);
        let exact = number(&s);
        assert!(
            exact <= sampled + 1e-6 && sampled - exact < 0.08,
            "{exact} vs {sampled}"
        );
    }
}

#[test]
fn object_size_matches_the_parts_extent() {
    for s in samples(Family::ObjectSize) {
        let q = &s.question.question;
        let longest = q.starts_with(t::LONGEST);
        let label = if longest {
            between(q, t::LONGEST, t::HEIGHT_END)
        } else {
            between(q, t::HEIGHT, t::HEIGHT_END)
        };
        let o = object(&s, label);
        let pts = surface(o);
        let ys = pts.iter().map(|p| p.y);
        let height = ys.clone().fold(f64::MIN, f64::max) - ys.fold(f64::MAX, f64::min);
        let want = if longest {
            height.max(o.size.x).max(o.size.z)
        } else {
            height
        };
        assert!(
            (number(&s) - want * 100.0).abs() < 0.5,
            "{q}: {} vs {}",
            number(&s),
            want * 100.0
        );
    }
}

#[test]
fn room_area_matches_the_rendered_walls() {
    for s in samples(Family::RoomSize) {
        let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
        for f in &s.frames {
            for v in (0..f.height).step_by(2) {
                for u in (0..f.width).step_by(2) {
                    if let Some(p) = f.world_point(u, v) {
                        lo = [lo[0].min(p.x), lo[1].min(p.z)];
                        hi = [hi[0].max(p.x), hi[1].max(p.z)];
                    }
                }
            }
        }
        let area = (hi[0] - lo[0]) * (hi[1] - lo[1]);
        assert!(
            (area - number(&s)).abs() / number(&s) < 0.01,
            "{area} vs {}",
            number(&s)
        );
    }
}

#[test]
fn relative_distance_winner_is_closest_by_sampling() {
    for s in samples(Family::RelativeDistance) {
        let x = object(&s, between(&s.question.question, t::REL_DIST, "?"));
        let best = s
            .question
            .choices
            .iter()
            .map(|c| (c, sampled_distance(x, object(&s, c))))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        assert_eq!(*best.0, choice(&s));
    }
}

#[test]
fn relative_direction_matches_hand_projection() {
    let mut kinds = Vec::new();
    for seed in [3, 11, 12, 17] {
        let s =
            generate_sample(seed, Family::RelativeDirection, &SampleOptions::default()).unwrap();
        let q = s.question.question.clone();
        let answer = choice(&s);
        kinds.push(s.rig.kind);
        if q.starts_with(t::REL_DIR_IMAGE) {
            let a = object(&s, between(&q, t::REL_DIR_IMAGE, t::REL_DIR_IMAGE_MID));
            let b = object(&s, between(&q, t::REL_DIR_IMAGE_MID, "?"));
            let cam = &s.rig.views[0].camera;
            let k = cam.intrinsics();
            let u = |o: &Object| {
                let c = to_camera(cam, o.center);
                k.fx * c[0] / c[2] + k.cx
            };
            let want = if u(a) < u(b) { "left" } else { "right" };
            assert_eq!(answer, want, "{q}");
        } else {
            let o = object(&s, between(&q, t::REL_DIR_VIDEO, t::REL_DIR_VIDEO_END));
            let c = to_camera(&s.rig.views.last().unwrap().camera, o.center);
            assert_eq!(answer, quadrant(c[2], c[0]), "{q}");
        }
    }
}

#[test]
fn allocentric_quadrant_matches_atan2() {
    for s in samples(Family::AllocentricDirection) {
        let q = &s.question.question;
        let a = object(&s, between(q, t::ALLO, t::ALLO_FACING));
        let b = object(&s, between(q, t::ALLO_FACING, t::ALLO_TARGET));
        let c = object(&s, between(q, t::ALLO_TARGET, " relative"));
        // Facing angle and target angle on the floor plane, seen from above (x right, -z up).
        let facing = (b.center.x - a.center.x).atan2(-(b.center.z - a.center.z));
        let target = (c.center.x - a.center.x).atan2(-(c.center.z - a.center.z));
        let mut rel = target - facing; // clockwise from facing = to the right
        while rel > std::f64::consts::PI {
            rel -= std::f64::consts::TAU;
        }
        while rel < -std::f64::consts::PI {
            rel += std::f64::consts::TAU;
        }
        assert_eq!(choice(&s), quadrant(rel.cos(), rel.sin()), "{q}");
    }
}

#[test]
fn appearance_order_matches_first_frames_in_pixels() {
    for s in samples(Family::AppearanceOrder) {
        let answer = choice(&s);
        let labels: Vec<&str> = answer.split(", ").collect();
        let first: Vec<usize> = labels
            .iter()
            .map(|l| {
                let o = object(&s, l);
                (0..s.frames.len())
                    .find(|&f| pixels(&s, f, o) >= 100)
                    .unwrap()
            })
            .collect();
        assert!(first.windows(2).all(|w| w[0] < w[1]), "{answer}: {first:?}");
        assert!(
            s.rig
                .views
                .windows(2)
                .all(|w| w[1].frame_index > w[0].frame_index)
        );
    }
}

#[test]
fn camera_displacement_matches_pose_translations() {
    for s in samples(Family::CameraDisplacement) {
        let (a, b) = (
            s.rig.views[0].camera.pose(),
            s.rig.views.last().unwrap().camera.pose(),
        );
        let d = (0..3)
            .map(|i| (a[i][3] - b[i][3]).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!((number(&s) - d).abs() < 1e-9);
    }
}

#[test]
fn camera_rotation_matches_atan2_of_forward_vectors() {
    for s in samples(Family::CameraRotation) {
        let (a, b) = (
            s.rig.views[0].camera.pose(),
            s.rig.views.last().unwrap().camera.pose(),
        );
        // Heading seen from above with x right and -z up: clockwise = turning right.
        let heading = |m: [[f64; 4]; 4]| m[0][2].atan2(-m[2][2]);
        let mut turn = (heading(b) - heading(a)).to_degrees();
        while turn > 180.0 {
            turn -= 360.0;
        }
        while turn < -180.0 {
            turn += 360.0;
        }
        let answer = choice(&s);
        let deg: f64 = between(&answer, "about ", " degrees").parse().unwrap();
        assert!((deg - turn.abs()).abs() <= 2.5 + 1e-9, "{answer} vs {turn}");
        assert!(
            answer.ends_with(if turn > 0.0 { "right" } else { "left" }),
            "{answer} vs {turn}"
        );
    }
}

#[test]
fn motion_direction_matches_image_motion_and_depth() {
    for s in samples(Family::MotionDirection) {
        let o = object(&s, between(&s.question.question, t::MOTION, t::MOTION_END));
        let cam = &s.rig.views[0].camera;
        let end = o.at_time(s.rig.views.last().unwrap().time_s);
        let (c0, c1) = (to_camera(cam, o.center), to_camera(cam, end.center));
        let (dx, dz) = (c1[0] - c0[0], c1[2] - c0[2]);
        let want = if dx.abs() > dz.abs() {
            if dx < 0.0 {
                "to the left"
            } else {
                "to the right"
            }
        } else if dz < 0.0 {
            "towards the camera"
        } else {
            "away from the camera"
        };
        assert_eq!(choice(&s), want);
        // The object really is rendered at different places in the first and last frames.
        let first = &s.frames[0].instance;
        let last = &s.frames.last().unwrap().instance;
        let moved = first
            .iter()
            .zip(last)
            .filter(|(a, b)| (**a == o.instance_id) != (**b == o.instance_id))
            .count();
        assert!(moved > 200);
    }
}

#[test]
fn multiview_sets_match_instance_buffers() {
    for s in samples(Family::MultiviewCorrespondence) {
        let o = object(&s, between(&s.question.question, t::VIEWS, t::VIEWS_END));
        let seen: Vec<String> = (0..s.frames.len())
            .filter(|&f| pixels(&s, f, o) > 0)
            .map(|f| (f + 1).to_string())
            .collect();
        let answer = choice(&s);
        let listed: Vec<String> = answer
            .trim_start_matches("views ")
            .trim_start_matches("view ")
            .trim_end_matches(" only")
            .split(", ")
            .map(str::to_owned)
            .collect();
        assert_eq!(listed, seen);
    }
}

#[test]
fn highest_object_matches_sampled_tops() {
    for s in samples(Family::HeightComparison) {
        let top = |label: &str| {
            surface(object(&s, label))
                .iter()
                .map(|p| p.y)
                .fold(f64::MIN, f64::max)
        };
        let best = s
            .question
            .choices
            .iter()
            .max_by(|a, b| top(a).total_cmp(&top(b)))
            .unwrap();
        assert_eq!(*best, choice(&s));
    }
}

#[test]
fn every_object_id_is_in_range() {
    let s = generate_sample(5, Family::ObjectCount, &SampleOptions::default()).unwrap();
    for (i, o) in s.scene.objects.iter().enumerate() {
        assert_eq!(o.instance_id, FIRST_OBJECT_INSTANCE + i as u16);
    }
}
