//! The Norwegian calendar for available working time (indicators.md §8): weekdays in a
//! year and the public holidays (helligdager and høytidsdager) that fall on weekdays.
//!
//! The movable feasts follow Easter Sunday, computed by the Gregorian computus
//! (the anonymous Gregorian algorithm of Meeus/Jones/Butcher).

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Easter Sunday of `year` (Gregorian calendar).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("the computus gives a date")
}

/// The Norwegian public holidays of `year` that are not always Sundays, in date order:
/// 1 January, Maundy Thursday, Good Friday, Easter Monday, 1 May, 17 May, Ascension Day,
/// Whit Monday, 25 and 26 December. (Easter Sunday and Whit Sunday are Sundays.)
pub fn public_holidays(year: i32) -> Vec<NaiveDate> {
    let easter = easter_sunday(year);
    let ymd = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d).expect("a fixed date");
    let mut days = vec![
        ymd(1, 1),
        easter - Duration::days(3),
        easter - Duration::days(2),
        easter + Duration::days(1),
        ymd(5, 1),
        ymd(5, 17),
        easter + Duration::days(39),
        easter + Duration::days(50),
        ymd(12, 25),
        ymd(12, 26),
    ];
    days.sort();
    days.dedup();
    days
}

fn is_weekday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Monday to Friday days in `year` (A in the WISN formula).
pub fn weekdays(year: i32) -> u32 {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("1 January");
    first
        .iter_days()
        .take_while(|d| d.year() == year)
        .filter(|d| is_weekday(*d))
        .count() as u32
}

/// Public holidays of `year` that fall on a weekday (B in the WISN formula).
pub fn weekday_holidays(year: i32) -> u32 {
    public_holidays(year)
        .into_iter()
        .filter(|d| is_weekday(*d))
        .count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn easter_sundays_match_the_almanac() {
        // Easter Sundays from the Norwegian almanac (Almanakk for Norge).
        for (y, m, day) in [
            (2019, 4, 21),
            (2020, 4, 12),
            (2021, 4, 4),
            (2022, 4, 17),
            (2023, 4, 9),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2028, 4, 16),
            (2038, 4, 25),
        ] {
            assert_eq!(easter_sunday(y), d(y, m, day), "{y}");
        }
    }

    #[test]
    fn holidays_2025_against_the_official_list() {
        // 2025: 1 Jan Wed, Maundy Thursday 17 Apr, Good Friday 18 Apr, Easter Monday 21 Apr,
        // 1 May Thu, 17 May Sat (not a weekday), Ascension 29 May Thu, Whit Monday 9 Jun,
        // 25 Dec Thu, 26 Dec Fri: 10 holidays, 9 on weekdays.
        assert_eq!(
            public_holidays(2025),
            vec![
                d(2025, 1, 1),
                d(2025, 4, 17),
                d(2025, 4, 18),
                d(2025, 4, 21),
                d(2025, 5, 1),
                d(2025, 5, 17),
                d(2025, 5, 29),
                d(2025, 6, 9),
                d(2025, 12, 25),
                d(2025, 12, 26),
            ]
        );
        assert_eq!(weekday_holidays(2025), 9);
        // 2025 starts on a Wednesday and has 365 days: 52 weeks (260 weekdays) + Wed = 261.
        assert_eq!(weekdays(2025), 261);
    }

    #[test]
    fn holidays_2026_counted_by_hand() {
        // 2026: Easter Sunday 5 Apr. 1 Jan Thu, Maundy Thursday 2 Apr, Good Friday 3 Apr,
        // Easter Monday 6 Apr, 1 May Fri, 17 May Sun (not a weekday), Ascension 14 May Thu,
        // Whit Monday 25 May, 25 Dec Fri, 26 Dec Sat (not a weekday): 8 on weekdays.
        assert_eq!(weekday_holidays(2026), 8);
        assert!(public_holidays(2026).contains(&d(2026, 5, 14)));
        assert!(public_holidays(2026).contains(&d(2026, 5, 25)));
        // 2026 starts on a Thursday, 365 days: 260 + Thu = 261.
        assert_eq!(weekdays(2026), 261);
    }

    #[test]
    fn holidays_2024_and_2027_counted_by_hand() {
        // 2024 (leap year, starts Monday): Easter 31 Mar. 1 Jan Mon, 28 Mar Thu, 29 Mar Fri,
        // 1 Apr Mon, 1 May Wed, 17 May Fri, Ascension 9 May Thu, Whit Monday 20 May,
        // 25 Dec Wed, 26 Dec Thu: all 10 on weekdays. 366 days = 52 weeks + Mon, Tue: 262.
        assert_eq!(weekday_holidays(2024), 10);
        assert_eq!(weekdays(2024), 262);
        // 2027 (starts Friday): Easter 28 Mar. 1 Jan Fri, 25 Mar Thu, 26 Mar Fri,
        // 29 Mar Mon, 1 May Sat (no), 17 May Mon, Ascension 6 May Thu, Whit Monday 17 May
        // (the same day as Constitution Day: counted once), 25 Dec Sat (no), 26 Dec Sun
        // (no): 1 Jan, 25, 26, 29 Mar, 6 May, 17 May = 6.
        assert_eq!(public_holidays(2027).len(), 9, "17 May is also Whit Monday");
        assert_eq!(weekday_holidays(2027), 6);
        // 365 days from a Friday: 260 + Fri = 261.
        assert_eq!(weekdays(2027), 261);
    }
}
