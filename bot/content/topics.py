"""The fixed topic ids of ../shared/TOPICS.md: content, evaluation and statistics key on them."""

TOPICS: dict[str, str] = {
    "bat_nat_mang": "Bắt nạt trực tuyến",
    "xam_hai_tinh_duc": "Xâm hại tình dục trên mạng",
    "lua_dao": "Lừa đảo trực tuyến",
    "noi_dung_doc_hai": "Nội dung độc hại",
    "nghien_game": "Nghiện game, thời gian màn hình",
    "thong_tin_ca_nhan": "Bảo vệ thông tin cá nhân",
    "kiem_soat_cua_cha_me": "Công cụ kiểm soát của cha mẹ",
    "mang_xa_hoi": "Mạng xã hội",
    "tin_gia": "Tin giả, thông tin sai lệch",
    "suc_khoe_tinh_than": "Sức khỏe tinh thần",
    "bao_cao": "Tố giác, báo cáo, hỗ trợ",
    "ky_nang_so": "Kỹ năng số, công dân số",
    "quyen_tre_em": "Quyền trẻ em và trách nhiệm",
    "an_toan_thuong_tich": "Phòng tránh tai nạn, thương tích",
    "hoat_dong_tre_em": "Hoạt động vui chơi cho trẻ",
    "su_dung_tro_ly": "Sử dụng trợ lý",
}

AGE_BANDS: dict[str, str] = {
    "6-10": "6–10 tuổi",
    "11-14": "11–14 tuổi",
    "15-17": "15–17 tuổi",
    "parent": "Cha mẹ",
    "all": "Mọi người",
}

ROLES: dict[str, str] = {
    "parent": "Phụ huynh",
    "student": "Học sinh",
    "teacher": "Giáo viên",
    "other": "Người dân khác",
}
