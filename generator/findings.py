"""One catalogue of finding codes and one message pattern.

A finding is a record (severity, code, file, sheet, cell, message), collected
into a list, never raised. Messages read "[Sheet!E12] what is wrong: rule. How
to fix." and are built only here, so tests can build expectations from CATALOGUE.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from generator import vocab
from generator.text import nfc

# `code` is positional-only in the builders below so a rule may also use {code}.

ERROR = vocab.ERROR.key
WARNING = vocab.WARNING.key


@dataclass(frozen=True)
class Rule:
    severity: str
    text: str  # what is wrong; str.format fields filled from the finding's params
    fix: str  # how to fix it


# Codes: P = plan workbook, F = file (intake), R = report content, I = indicator,
# C = checks after consolidation.
CATALOGUE: dict[str, Rule] = {
    # --- plan workbook (baocao plan check) ---
    "P001": Rule(ERROR, "Thiếu trang tính '{name}' trong kế hoạch{seen}",
                 "Đặt đúng tên trang tính '{name}', hoặc thêm trang này với hàng tiêu đề như "
                 "kế hoạch mẫu (README, mục Tệp kế hoạch)"),
    "P002": Rule(ERROR, "Thiếu cột '{name}' ở hàng tiêu đề{seen}",
                 "Ghi đúng tiêu đề '{name}' ở ô này, hoặc thêm cột này như kế hoạch mẫu "
                 "(README, mục Tệp kế hoạch)"),
    "P003": Rule(ERROR, "Thiếu thông tin bắt buộc '{name}'",
                 "Điền giá trị vào ô này"),
    "P004": Rule(ERROR, "Số thứ tự nhiệm vụ '{tt}' bị trùng (đã có ở hàng {first})",
                 "Mỗi nhiệm vụ phải có một TT riêng"),
    "P005": Rule(ERROR, "Nhiệm vụ '{tt}' thuộc nội dung '{value}' không có trong trang NoiDung",
                 "Sửa số nội dung cho đúng hoặc thêm nội dung vào trang NoiDung"),
    "P006": Rule(ERROR, "Không nhận ra đơn vị hoặc nhóm đơn vị '{value}'",
                 "Ghi đúng tên đơn vị trong trang DonVi, tên nhóm trong trang NhomDonVi, "
                 "hoặc thêm tên này vào trang NhomDonVi nếu đó không phải đơn vị báo cáo"),
    "P007": Rule(ERROR, "Không hiểu thời hạn '{value}': {reason}",
                 "Ghi theo một trong các dạng: 'Trước 30/9/2022', 'Quý III/2022', "
                 "'Thường xuyên', 'Định kỳ hàng quý', 'Theo quy định'"),
    "P008": Rule(ERROR, "Chỉ tiêu tỷ lệ '{code}' trỏ tới mã '{value}' không có trong trang ChiTieu",
                 "Ghi đúng mã chỉ tiêu tử số và mẫu số"),
    "P009": Rule(ERROR, "Đơn vị '{code}' có đơn vị cấp trên '{value}' không có trong trang DonVi",
                 "Ghi đúng mã đơn vị cấp trên hoặc để trống nếu báo cáo thẳng về tỉnh"),
    "P010": Rule(ERROR, "Mã đơn vị '{code}' bị trùng (đã có ở hàng {first})",
                 "Mỗi đơn vị phải có một mã riêng"),
    "P011": Rule(ERROR, "Chỉ tiêu '{code}' gắn với nhiệm vụ '{value}' không có trong trang NhiemVu",
                 "Ghi đúng TT nhiệm vụ"),
    "P012": Rule(ERROR, "Cách tổng hợp '{value}' không hợp lệ",
                 "Ghi 'cộng dồn' (số phát sinh trong kỳ, cộng các đơn vị), 'thời điểm' (số "
                 "hiện có, lấy ở một cấp, không cộng các cấp) hoặc 'tỷ lệ' (kèm mã tử số và "
                 "mẫu số)"),
    "P013": Rule(ERROR, "Mã chỉ tiêu '{code}' bị trùng (đã có ở hàng {first})",
                 "Mỗi chỉ tiêu phải có một mã riêng"),
    "P014": Rule(ERROR, "Cấp đơn vị '{value}' không hợp lệ",
                 "Ghi một trong các cấp: tinh, huyen, xa"),
    "P015": Rule(ERROR, "Ngày '{value}' không hợp lệ",
                 "Ghi ngày theo dạng ngày/tháng/năm, ví dụ 30/6/2022"),
    "P016": Rule(ERROR, "Không đọc được tệp kế hoạch: {reason}",
                 "Mở tệp bằng Excel, lưu lại dạng .xlsx rồi chạy lại"),
    "P017": Rule(WARNING, "Nhiệm vụ '{tt}' không có đơn vị chủ trì nào là đơn vị báo cáo",
                 "Kiểm tra lại cột Chủ trì"),
    "P018": Rule(WARNING, "{what} cần xác nhận: {value}",
                 "Cán bộ đầu mối đối chiếu với văn bản gốc hoặc nguồn đã ghi, sửa nếu cần, rồi "
                 "xóa chữ 'cần xác nhận' (và dấu ở cột Cần xác nhận, nếu có)"),
    "P019": Rule(ERROR, "Mã đơn vị '{code}' có ký tự không hợp lệ",
                 "Mã đơn vị chỉ gồm chữ cái không dấu, chữ số, dấu gạch ngang"),
    "P021": Rule(WARNING, "Không nhận ra '{value}' (gần giống '{name}'); cột hoặc dòng này "
                 "bị bỏ qua",
                 "Nếu đây là '{name}', sửa cho đúng chữ '{name}'; nếu không dùng, xóa đi"),
    "P022": Rule(WARNING, "Khối '{value}' không khớp khối nào của các đơn vị khác",
                 "Sửa cho đúng tên khối, ví dụ '{name}', nếu đây là lỗi gõ"),
    "P023": Rule(WARNING, "Địa chỉ thư điện tử '{value}' của đơn vị '{code}' không hợp lệ",
                 "Ghi địa chỉ dạng ten@laocai.gov.vn; nhiều địa chỉ ngăn cách bằng dấu chấm phẩy"),
    "P024": Rule(ERROR, "Đơn vị mới '{value}' của đơn vị cũ '{code}' không có trong trang DonVi",
                 "Ghi đúng mã đơn vị mới như ở cột Mã đơn vị của trang DonVi"),
    "P025": Rule(ERROR, "Đơn vị cũ '{code}' có hai dòng chuyển đổi (đã có ở hàng {first})",
                 "Mỗi đơn vị cũ chỉ chuyển vào một đơn vị mới; xóa dòng thừa"),
    "P026": Rule(ERROR, "Thiếu thông tin bắt buộc '{name}'; dòng này ghi '{value}'",
                 "Sửa chữ ở cột Thông tin cho đúng '{name}'"),
    "P027": Rule(ERROR, "'{value}' ở cột '{name}' không phải là số",
                 "Ghi bằng số, ví dụ {example}"),
    "P028": Rule(WARNING, "TT '{tt}' không khớp nội dung {dimension} của nhiệm vụ",
                 "TT của nhiệm vụ thuộc nội dung {dimension} bắt đầu bằng '{dimension}.'; sửa "
                 "TT hoặc cột Nội dung"),
    "P029": Rule(WARNING, "Giá trị '{value}' ở cột Cần xác nhận không nhận ra; nhiệm vụ không "
                 "được coi là cần xác nhận",
                 "Ghi 'x' nếu nhiệm vụ cần xác nhận, để trống nếu không"),
    "P030": Rule(WARNING, "Tên mới '{value}' của đơn vị cũ '{code}' khác tên trong trang DonVi "
                 "'{name}'",
                 "Sửa tên cho khớp trang DonVi, hoặc kiểm tra lại mã đơn vị mới"),
    "P031": Rule(ERROR, "Loại số liệu '{value}' không hợp lệ",
                 "Ghi 'đếm' (số nguyên: lượt, người, hồ sơ) hoặc 'đo' (có thể lẻ: tiền, "
                 "diện tích); để trống là 'đếm'"),
    # --- plan workbook: indicator levels, consistency rules, reporting line, periods ---
    "P040": Rule(ERROR, "Quy tắc '{rule}': mã chỉ tiêu '{value}' không có trong trang ChiTieu",
                 "Ghi đúng mã chỉ tiêu; nhiều mã cộng lại thì ngăn cách bằng dấu +"),
    "P041": Rule(ERROR, "Quy tắc '{rule}': phép so sánh '{value}' không hợp lệ",
                 "Ghi một trong: <=, >=, =, <, > (hoặc ≤, ≥)"),
    "P042": Rule(ERROR, "Không nhận ra nơi nhận báo cáo '{value}'",
                 "Ghi 'Cấp trên trực tiếp' (đơn vị ở cột Mã cấp trên) hoặc tên, mã một đơn vị "
                 "trong trang DonVi, ví dụ Sở Nội vụ"),
    "P043": Rule(ERROR, "Hạn nộp '{value}' không hợp lệ",
                 "Ghi ngày cuối cùng còn đúng hạn trong tháng cuối kỳ, từ 1 đến 31 (14 cho "
                 "'trước ngày 15'); để trống nếu nơi nhận báo cáo tự quy định"),
    "P044": Rule(WARNING, "Đơn vị '{code}' đã có ở một dòng trước (hàng {first}) của tuyến báo "
                 "cáo; dòng trước được dùng",
                 "Mỗi đơn vị chỉ thuộc một dòng của trang TuyenBaoCao"),
    "P045": Rule(ERROR, "Không nhận ra kỳ báo cáo '{value}'",
                 "Ghi các kỳ ngăn cách bằng dấu chấm phẩy, ví dụ: Quý I; 6 tháng; Quý III; Năm"),
    "P046": Rule(WARNING, "Chỉ tiêu '{code}' không có đơn vị nào vừa được giao nhiệm vụ {task} "
                 "vừa thuộc cấp báo cáo '{value}'",
                 "Sửa cột Cấp báo cáo, hoặc để trống để mọi đơn vị được giao nhiệm vụ báo cáo"),
    "P047": Rule(ERROR, "Mã cơ quan tổng hợp '{value}' không có trong trang DonVi",
                 "Ghi mã đơn vị tổng hợp báo cáo (ví dụ SNV) hoặc để trống để dùng đơn vị đầu "
                 "mối"),
    "P048": Rule(WARNING, "Đơn vị {codes} báo cáo về cấp trên trực tiếp nhưng không có mã cấp "
                 "trên; báo cáo về cơ quan tổng hợp",
                 "Ghi Mã cấp trên của đơn vị ở trang DonVi, hoặc sửa tuyến báo cáo"),
    # --- returned forms: file, identity, reading (intake) ---
    "F100": Rule(ERROR, "Không đọc được tệp: {reason}",
                 "Mở tệp bằng Excel hoặc LibreOffice, lưu lại dạng .xlsx rồi gửi lại"),
    "F101": Rule(ERROR, "Tệp không có trang nhận dạng của biểu mẫu: không phải biểu mẫu do "
                 "Sở Nội vụ phát hành",
                 "Tải lại biểu mẫu gốc đã gửi cho đơn vị, nhập số liệu vào đó rồi gửi lại"),
    "F102": Rule(ERROR, "Chữ ký của biểu mẫu không khớp: trang nhận dạng đã bị sửa hoặc tệp "
                 "không phải biểu mẫu do Sở Nội vụ phát hành",
                 "Tải lại biểu mẫu gốc đã gửi cho đơn vị, nhập số liệu vào đó rồi gửi lại"),
    "F103": Rule(ERROR, "Biểu mẫu của đơn vị '{unit}' không có trong kế hoạch",
                 "Dùng đúng biểu mẫu Sở Nội vụ đã gửi cho đơn vị mình"),
    "F104": Rule(ERROR, "Biểu mẫu của kỳ {found}, không phải của kỳ {expected} đang thu nhận",
                 "Dùng đúng biểu mẫu của kỳ đang báo cáo rồi gửi lại"),
    "F105": Rule(ERROR, "Biểu mẫu của phiên bản kế hoạch cũ ({found}); phiên bản hiện hành là "
                 "{expected}",
                 "Tải biểu mẫu mới của kỳ này, chép số liệu sang rồi gửi lại"),
    "F106": Rule(ERROR, "Không tìm thấy hàng tiêu đề của trang '{name}' (cần các cột {columns})",
                 "Giữ nguyên trang tính và hàng tiêu đề của biểu mẫu gốc rồi gửi lại"),
    "F107": Rule(ERROR, "Ô có công thức nhưng không có giá trị đã tính",
                 "Mở tệp bằng Excel hoặc LibreOffice để chương trình tính lại rồi lưu, hoặc "
                 "nhập thẳng giá trị vào ô"),
    "F108": Rule(ERROR, "Mã đơn vị '{unit}' không phải đơn vị trực thuộc {parent}",
                 "Ghi đúng mã đơn vị cấp xã trực thuộc trong trang chi tiết"),
    "F109": Rule(WARNING, "Loại dòng '{value}' không nhận ra (chỉ dùng: {kinds}); dòng này bị "
                 "bỏ qua",
                 "Sửa cột Loại cho đúng rồi gửi lại"),
    "F110": Rule(ERROR, "Theo {source}, đây là biểu mẫu của đơn vị '{claimed}' ({claimed_name}), "
                 "nhưng theo {evidence} là của đơn vị '{found}' ({found_name}): tệp được giữ "
                 "lại chờ xác nhận, không thay thế báo cáo của đơn vị nào",
                 "Đơn vị {found} tải đúng biểu mẫu của mình, chép số liệu sang rồi gửi lại; "
                 "nếu tệp đúng là báo cáo của một đơn vị, cán bộ đầu mối xác nhận bằng lệnh "
                 "baocao confirm TỆP --unit MÃ"),
    "F111": Rule(ERROR, "Tệp mất trang nhận dạng của biểu mẫu; theo {evidence}, đây là báo cáo "
                 "của đơn vị '{found}' ({found_name}): tệp được giữ lại chờ xác nhận",
                 "Lần sau gửi lại chính tệp biểu mẫu đã nhận (không chép sang sổ mới); cán bộ "
                 "đầu mối xác nhận bằng lệnh baocao confirm TỆP --unit {found}"),
    # --- returned forms: report content ---
    "R001": Rule(ERROR, "Nhiệm vụ {tt} chưa ghi tình trạng thực hiện",
                 "Chọn một trong: Đã hoàn thành, Đang thực hiện, Chưa thực hiện, "
                 "Không phát sinh"),
    "R002": Rule(ERROR, "Tình trạng '{value}' của nhiệm vụ {tt} không hợp lệ",
                 "Chọn một trong: Đã hoàn thành, Đang thực hiện, Chưa thực hiện, "
                 "Không phát sinh"),
    "R003": Rule(ERROR, "Nhiệm vụ {tt} đã hoàn thành nhưng chưa ghi ngày hoàn thành",
                 "Ghi ngày hoàn thành theo dạng ngày/tháng/năm, ví dụ 30/9/2022"),
    "R004": Rule(ERROR, "Ngày hoàn thành {value} của nhiệm vụ {tt} sau ngày chốt số liệu "
                 "{cutoff}",
                 "Ghi đúng ngày; việc hoàn thành sau ngày chốt số liệu được báo cáo ở kỳ sau"),
    "R005": Rule(ERROR, "Ngày hoàn thành {value} của nhiệm vụ {tt} trước ngày ban hành kế "
                 "hoạch {date}",
                 "Ghi đúng ngày hoàn thành nhiệm vụ theo kế hoạch này"),
    "R006": Rule(ERROR, "Ngày '{value}' không hợp lệ",
                 "Ghi ngày theo dạng ngày/tháng/năm, ví dụ 30/9/2022"),
    "R007": Rule(WARNING, "Nhiệm vụ {tt} đã hoàn thành nhưng chưa ghi kết quả thực hiện",
                 "Ghi tóm tắt kết quả: việc đã làm, số liệu, văn bản đã ban hành"),
    "R008": Rule(WARNING, "Dòng có TT '{tt}' không phải nhiệm vụ trong kế hoạch; nội dung vẫn "
                 "được ghi nhận",
                 "Không thêm dòng mới; báo cáo việc phát sinh ở ô Khó khăn, vướng mắc hoặc "
                 "Đề xuất, kiến nghị"),
    "R009": Rule(WARNING, "Nhiệm vụ {tt} không được giao cho đơn vị trong kế hoạch; nội dung "
                 "vẫn được ghi nhận",
                 "Chỉ báo cáo các nhiệm vụ có sẵn trong biểu mẫu"),
    "R010": Rule(ERROR, "Chưa ghi '{name}'",
                 "Điền vào ô bên phải nhãn này"),
    "R011": Rule(ERROR, "Không tìm thấy dòng của nhiệm vụ {tt}",
                 "Tải lại biểu mẫu gốc hoặc thêm lại dòng của nhiệm vụ rồi báo cáo"),
    "R012": Rule(WARNING, "Nhiệm vụ {tt} có hai dòng (đã có ở hàng {first}); chỉ dòng đầu được "
                 "ghi nhận",
                 "Xóa dòng thừa, mỗi nhiệm vụ chỉ một dòng"),
    "R013": Rule(WARNING, "Dòng không có TT dưới nhiệm vụ {tt}: nội dung '{text}' được ghi "
                 "nhận là phần tiếp theo của nhiệm vụ {tt}",
                 "Không chèn dòng; ghi tiếp vào ô Kết quả thực hiện của nhiệm vụ (xuống dòng "
                 "trong ô: Excel Alt+Enter, LibreOffice Ctrl+Enter)"),
    "R014": Rule(WARNING, "Dòng không có TT trước nhiệm vụ đầu tiên: nội dung '{text}' vẫn "
                 "được ghi nhận",
                 "Không chèn dòng; ghi vào ô Kết quả thực hiện của nhiệm vụ liên quan"),
    "R015": Rule(WARNING, "Số điện thoại {value} mất số 0 ở đầu (ô được định dạng số); đã "
                 "ghi nhận là {fixed}",
                 "Kiểm tra lại số; lần sau gõ vào ô của biểu mẫu gốc (định dạng văn bản)"),
    "R016": Rule(ERROR, "{what} {value} nằm ngoài khoảng {first} – {last}; có thể ngày và tháng "
                 "bị đảo (máy đặt vùng tiếng Anh hiểu ngày/tháng thành tháng/ngày), nếu đảo "
                 "lại là {swapped}",
                 "Gõ lại ngày dạng ngày/tháng/năm và kiểm tra ô hiện đúng; đặt vùng của "
                 "LibreOffice (Công cụ > Tùy chọn > Ngôn ngữ) hoặc Windows là Tiếng Việt"),
    "R017": Rule(ERROR, "Ngày lập báo cáo {value} trước thời gian của kỳ báo cáo (từ {first})",
                 "Ghi đúng ngày lập báo cáo, dạng ngày/tháng/năm"),
    # --- returned forms: indicators ---
    "I001": Rule(ERROR, "Giá trị '{value}' của chỉ tiêu {code} không phải là số",
                 "Chỉ ghi số, không kèm đơn vị tính; dấu chấm ngăn cách hàng nghìn, dấu phẩy "
                 "thập phân, ví dụ 1.250 hoặc 45,5"),
    "I002": Rule(ERROR, "Giá trị {value} của chỉ tiêu {code} là số âm",
                 "Ghi số không âm"),
    "I003": Rule(ERROR, "Tử số {code} ({value}) lớn hơn mẫu số {den} ({den_value}) của chỉ "
                 "tiêu tỷ lệ {ratio}",
                 "Kiểm tra lại hai số liệu: tử số không thể lớn hơn mẫu số"),
    "I004": Rule(WARNING, "Mã chỉ tiêu '{code}' không thuộc các chỉ tiêu của đơn vị; dòng này "
                 "bị bỏ qua",
                 "Không thêm chỉ tiêu mới; ghi số liệu vào đúng dòng có sẵn"),
    "I005": Rule(WARNING, "Không tìm thấy dòng của chỉ tiêu {code}",
                 "Tải lại biểu mẫu gốc hoặc thêm lại dòng của chỉ tiêu rồi ghi số liệu"),
    "I006": Rule(ERROR, "Giá trị {value} của chỉ tiêu {code} có phần lẻ, nhưng chỉ tiêu đếm "
                 "bằng '{unit}' là số nguyên (máy đặt vùng tiếng Anh đọc 1.250 thành 1,25)",
                 "Ghi số nguyên, không dùng dấu ngăn cách hàng nghìn (ví dụ 1250); đặt vùng của "
                 "LibreOffice hoặc Excel là Tiếng Việt"),
    "I010": Rule(ERROR, "{left} = {left_value} (ô {left_cells}) {relation} {right} = "
                 "{right_value} (ô {right_cells}): trái quy tắc {rule}",
                 "Kiểm tra lại số liệu ở ô {left_cells} và ô {right_cells}"),
    # --- after consolidation: the plan's consistency rules on areas and district returns ---
    "C001": Rule(WARNING, "Số liệu tổng hợp của {area}: {left} = {left_value} {relation} "
                 "{right} = {right_value} ({basis}), trái quy tắc {rule}",
                 "Xem số liệu từng đơn vị ở trang 'Chỉ tiêu theo đơn vị' và đề nghị đơn vị có "
                 "số liệu sai báo cáo lại"),
    "C002": Rule(ERROR, "Số liệu của {unit} (trong báo cáo tổng hợp của {parent}): {left} = "
                 "{left_value} {relation} {right} = {right_value}, trái quy tắc {rule}",
                 "Đề nghị {parent} kiểm tra lại với đơn vị và gửi lại báo cáo tổng hợp"),
    "P020": Rule(ERROR, "Điểm chỉ số không hợp lệ: '{value}'",
                 "Ghi năm, số nội dung, điểm bằng số (ví dụ 2021, 1, 5,12); để trống cả hàng "
                 "nếu không dùng"),
    # --- returned file, before any parsing (safety.screen) and legacy text ---
    "F001": Rule(ERROR, "Tệp quá lớn ({size}, giới hạn {limit})",
                 "Chỉ điền vào biểu mẫu gốc, xóa hình ảnh và trang tính thêm vào rồi gửi lại"),
    "F002": Rule(ERROR, "Tệp rỗng, không có nội dung",
                 "Mở biểu mẫu đã điền, lưu lại rồi gửi lại đúng tệp đó"),
    "F003": Rule(ERROR, "Không phải tệp Excel: {what}",
                 "Gửi lại biểu mẫu Excel đã điền (dạng .xlsx); nếu tệp đang ở dạng khác, "
                 "mở bằng Excel hoặc LibreOffice rồi chọn Lưu thành (Save As) dạng .xlsx"),
    "F004": Rule(ERROR, "Tệp được đặt mật khẩu, không mở được",
                 "Bỏ mật khẩu (Excel: Tệp > Thông tin > Bảo vệ sổ làm việc > Mã hóa bằng "
                 "mật khẩu, xóa mật khẩu) rồi gửi lại"),
    "F005": Rule(ERROR, "Tệp nén bất thường: khi giải nén lên tới {size}, vượt giới hạn {limit}",
                 "Chỉ điền vào biểu mẫu gốc rồi gửi lại; không gửi tệp nén đặc biệt"),
    "F006": Rule(ERROR, "Tệp nén bất thường: thành phần '{member}' nén với tỷ lệ {ratio}:1",
                 "Chỉ điền vào biểu mẫu gốc rồi gửi lại; không gửi tệp nén đặc biệt"),
    "F007": Rule(ERROR, "Tệp có quá nhiều thành phần ({count}, giới hạn {limit})",
                 "Chỉ điền vào biểu mẫu gốc, xóa các trang tính và hình ảnh thêm vào "
                 "rồi gửi lại"),
    "F008": Rule(ERROR, "Tệp chứa khai báo XML không được phép (DTD/ENTITY) ở '{member}'",
                 "Mở tệp bằng Excel, lưu lại dạng .xlsx rồi gửi lại"),
    "F009": Rule(ERROR, "Tệp bị hỏng, không đọc được: {reason}",
                 "Mở tệp bằng Excel hoặc LibreOffice để kiểm tra, lưu lại dạng .xlsx "
                 "rồi gửi lại"),
    "F010": Rule(WARNING, "Tệp có macro (VBA): macro bị bỏ qua, không chạy",
                 "Lần sau lưu biểu mẫu dạng .xlsx (Excel Workbook), không có macro"),
    "F011": Rule(ERROR, "Không mở được tệp: {reason}",
                 "Kiểm tra tệp còn trong thư mục và có quyền đọc rồi chạy lại"),
    "F012": Rule(WARNING, "Phần mở rộng '{ext}' không khớp nội dung tệp ({what})",
                 "Lưu tệp với đúng phần mở rộng (.xlsx) rồi gửi lại"),
    "F013": Rule(ERROR, "Tệp nén bất thường: các thành phần chồng lên nhau",
                 "Chỉ điền vào biểu mẫu gốc rồi gửi lại; không gửi tệp nén đặc biệt"),
    # --- bounded work per file, what arrives that is not a file (issue 18) ---
    "F014": Rule(ERROR, "Ô {ref} có dữ liệu, nằm quá xa vùng của biểu mẫu (biểu mẫu chỉ dùng "
                        "tới hàng {rows}, cột {cols})",
                 "Xóa ô này (và các ô thừa ở xa vùng biểu mẫu) rồi gửi lại"),
    "F015": Rule(WARNING, "Ô {ref} có dữ liệu, nằm quá xa vùng của biểu mẫu (biểu mẫu chỉ dùng "
                          "tới hàng {rows}, cột {cols}); trang này không được đọc nên báo cáo "
                          "vẫn được nhận",
                 "Xóa ô này (và các ô thừa ở xa vùng biểu mẫu) rồi gửi lại"),
    "F016": Rule(ERROR, "Chương trình phải dừng việc đọc tệp này: {reason}",
                 "Mở tệp bằng Excel hoặc LibreOffice, xóa các hàng, cột, trang tính thừa, "
                 "lưu lại dạng .xlsx rồi gửi lại"),
    "F017": Rule(ERROR, "'{name}' là {what}, không phải tệp: không được đọc",
                 "Chép chính tệp báo cáo (không phải lối tắt hay liên kết) vào thư mục rồi "
                 "chạy lại"),
    "F018": Rule(ERROR, "Thư không có tệp Excel đính kèm",
                 "Đề nghị đơn vị gửi lại thư kèm tệp biểu mẫu Excel đã điền"),
    "F019": Rule(ERROR, "Không đọc được thư: {reason}",
                 "Mở thư bằng chương trình thư điện tử, lưu riêng tệp Excel đính kèm vào thư "
                 "mục rồi chạy lại, hoặc đề nghị đơn vị gửi lại"),
    "F020": Rule(WARNING, "Văn bản gõ bằng bảng mã cũ {encoding} đã được chuyển sang "
                          "Unicode: '{text}'",
                 "Kiểm tra lại nội dung; lần sau gõ bằng bảng mã Unicode (phông Times "
                 "New Roman)"),
}


@dataclass(frozen=True)
class Finding:
    severity: str
    code: str
    file: str
    sheet: str
    cell: str
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def location(sheet: str = "", cell: str = "") -> str:
    if sheet and cell:
        return f"[{sheet}!{cell}] "
    if sheet:
        return f"[{sheet}] "
    return ""


def message_for(code: str, /, sheet: str = "", cell: str = "", **params) -> str:
    rule = CATALOGUE[code]
    # The fix may name what the text names too ("ô D12 và ô D9").
    return nfc(f"{location(sheet, cell)}{rule.text.format(**params)}. "
               f"{rule.fix.format(**params)}.")


def finding(code: str, /, file: str = "", sheet: str = "", cell: str = "", **params) -> Finding:
    rule = CATALOGUE[code]
    return Finding(rule.severity, code, str(file), sheet, cell,
                   message_for(code, sheet, cell, **params))


def has_errors(findings) -> bool:
    return any(f.severity == ERROR for f in findings)


# Findings that hold a file for the officer's confirmation instead of accepting it.
HOLDING = frozenset({"F110", "F111"})


def is_held(findings) -> bool:
    return any(f.code in HOLDING for f in findings)
