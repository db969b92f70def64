//! What `depends_on` reads, as every backend answers it: a check's latest stored result,
//! its status, when its run started, and whether something held it back.

use crate::outcome::Status;
use crate::quiet::dependency::StoredResult;
use crate::quiet::{Hold, Holds};
use crate::store::contract::{each_backend, record};

#[test]
fn the_latest_result_of_a_check_says_its_status_time_and_whether_it_was_held() {
    each_backend(|store| {
        assert_eq!(store.latest_result("network", "uplink"), None, "never run");
        store.record_run(&record("r1", "network", 1_000, &[("uplink", Status::Critical, &[])])).unwrap();
        let mut held = record("r2", "network", 2_000, &[("uplink", Status::Ok, &[]), ("dns", Status::Ok, &[])]);
        held.checks[0].holds = Holds::new(vec![Hold::Silenced { id: "1".into(), note: None }]);
        store.record_run(&held).unwrap();
        assert_eq!(
            store.latest_result("network", "uplink"),
            Some(StoredResult { status: Status::Ok, at_ms: 2_000, held: true })
        );
        assert_eq!(
            store.latest_result("network", "dns"),
            Some(StoredResult { status: Status::Ok, at_ms: 2_000, held: false })
        );
        // An older run stored later does not stand for the latest.
        store.record_run(&record("r0", "network", 500, &[("uplink", Status::Critical, &[])])).unwrap();
        assert_eq!(store.latest_result("network", "uplink").map(|r| r.at_ms), Some(2_000));
        assert_eq!(store.latest_result("other", "uplink"), None);
    });
}
