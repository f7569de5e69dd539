// SPDX-License-Identifier: Apache-2.0
// Top level: AXI4-Lite host interface, memories, sequencer, aligner, MAC array, drain.
`timescale 1ns / 1ps
`default_nettype none

`include "spw_defs.vh"

// The Shift-PW sparse CNN engine (docs/architecture.md).  Parameters select
// the geometry: `small` = 8x8 array with 4k-word memories, `chip` = 32x32
// with AMem/WMem/IMem 16k words (models/spec.py CONFIGS).
// The host owns the memory ports while the core is idle; the sequencer owns
// them while it is busy (the host interface answers SLVERR meanwhile).
// AMem is two 1R1W banks holding even and odd word addresses, so the aligner
// reads any two consecutive words in one cycle while the drain writes.
// *_INIT parameters name $readmemh files for a fast backdoor load in tests;
// AMem's file is split by word parity into the even and odd bank files.
module spw_top #(
    // MAC array rows = pixel lanes per AMem word
    parameter ROWS = 8,
    // MAC array columns = output channels per WMem word
    parameter COLS = 8,
    // AMem depth in words
    parameter ADEPTH = 4096,
    // WMem depth in words
    parameter WDEPTH = 4096,
    // IMem depth in 64-bit words
    parameter IDEPTH = 4096,
    // accumulator width (models/spec.py Config.acc_w: never overflows)
    parameter ACC_W = 20,
    // optional $readmemh images
    parameter AMEM_EVEN_INIT = "",
    parameter AMEM_ODD_INIT = "",
    parameter WMEM_INIT = "",
    parameter IMEM_INIT = ""
) (
    input  wire        clk_i,
    input  wire        rst_ni,

    /* AXI4-Lite slave */
    input  wire [19:0] s_axil_awaddr,
    input  wire [2:0]  s_axil_awprot,
    input  wire        s_axil_awvalid,
    output wire        s_axil_awready,
    input  wire [31:0] s_axil_wdata,
    input  wire [3:0]  s_axil_wstrb,
    input  wire        s_axil_wvalid,
    output wire        s_axil_wready,
    output wire [1:0]  s_axil_bresp,
    output wire        s_axil_bvalid,
    input  wire        s_axil_bready,
    input  wire [19:0] s_axil_araddr,
    input  wire [2:0]  s_axil_arprot,
    input  wire        s_axil_arvalid,
    output wire        s_axil_arready,
    output wire [31:0] s_axil_rdata,
    output wire [1:0]  s_axil_rresp,
    output wire        s_axil_rvalid,
    input  wire        s_axil_rready,

    output wire        irq_o
);
    localparam AW_BITS = ROWS * 4;          // AMem word
    localparam WW_BITS = COLS * 4;          // WMem word
    localparam IAW = $clog2(IDEPTH);
    localparam WAW = $clog2(WDEPTH);
    localparam AAW = $clog2(ADEPTH);
    localparam BAW = AAW - 1;
    localparam LR  = $clog2(ROWS);
    localparam LC  = $clog2(COLS);
    // tile counters: wide enough for any LAYER (spw_defs.vh)
    localparam TW  = `SPW_TILE_W;

    initial begin
        if (ACC_W < 8 || ACC_W > 32)
            $error("%m: ACC_W=%0d outside 8..32", ACC_W);
    end

    // ------------------------------------------------------------------
    // Host interface
    // ------------------------------------------------------------------
    wire        start, busy, done;
    wire [15:0] start_pc, err_pc;
    wire [3:0]  err_code;
    wire [31:0] perf_cycles, perf_mac_busy, perf_skipped, perf_stall;
    wire        h_req, h_we;
    wire [1:0]  h_sel, h_slot;
    wire [15:0] h_addr;
    wire [31:0] h_wdata;
    wire [3:0]  h_wstrb;
    reg  [31:0] h_rdata;

    spw_host_if #(
        .ROWS(ROWS), .COLS(COLS), .ADEPTH(ADEPTH), .WDEPTH(WDEPTH), .IDEPTH(IDEPTH), .ACC_W(ACC_W)
    ) u_host_if (
        .clk_i(clk_i), .rst_ni(rst_ni),
        .s_axil_awaddr(s_axil_awaddr), .s_axil_awprot(s_axil_awprot), .s_axil_awvalid(s_axil_awvalid),
        .s_axil_awready(s_axil_awready), .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb),
        .s_axil_wvalid(s_axil_wvalid), .s_axil_wready(s_axil_wready), .s_axil_bresp(s_axil_bresp),
        .s_axil_bvalid(s_axil_bvalid), .s_axil_bready(s_axil_bready), .s_axil_araddr(s_axil_araddr),
        .s_axil_arprot(s_axil_arprot), .s_axil_arvalid(s_axil_arvalid), .s_axil_arready(s_axil_arready),
        .s_axil_rdata(s_axil_rdata), .s_axil_rresp(s_axil_rresp), .s_axil_rvalid(s_axil_rvalid),
        .s_axil_rready(s_axil_rready),
        .start_o(start), .start_pc_o(start_pc), .busy_i(busy), .done_i(done),
        .err_code_i(err_code), .err_pc_i(err_pc),
        .perf_cycles_i(perf_cycles), .perf_mac_busy_i(perf_mac_busy),
        .perf_skipped_i(perf_skipped), .perf_stall_i(perf_stall),
        .irq_o(irq_o),
        .mem_req_o(h_req), .mem_we_o(h_we), .mem_sel_o(h_sel), .mem_addr_o(h_addr),
        .mem_slot_o(h_slot), .mem_wdata_o(h_wdata), .mem_wstrb_o(h_wstrb), .mem_rdata_i(h_rdata)
    );

    // host slot write -> word-wide data (the slot repeated) and bit mask
    function [127:0] slot_mask;
        input [1:0] slot;
        input [3:0] strb;
        integer b;
        begin
            slot_mask = 128'd0;
            // byte b of slot s starts at bit 32s + 8b; b < 4, so the
            // concatenation is that sum without mixing integer and vector
            for (b = 0; b < 4; b = b + 1)
                slot_mask[{slot, b[1:0], 3'b000} +: 8] = {8{strb[b]}};
        end
    endfunction
    wire [127:0] h_wdata_w = {4{h_wdata}};
    wire [127:0] h_wmask_w = slot_mask(h_slot, h_wstrb);
    // exempt from the UNUSED lint: memories narrower than 128 bits or
    // shallower than 64k words use only the low bits (host_if checks depths)
    wire unused_host = ^{h_addr, h_wdata_w, h_wmask_w};

    // ------------------------------------------------------------------
    // Sequencer
    // ------------------------------------------------------------------
    wire              s_imem_req, s_wmem_req, s_even_re, s_odd_re;
    wire [IAW-1:0]    s_imem_addr;
    wire [WAW-1:0]    s_wmem_addr;
    wire [BAW-1:0]    s_even_raddr, s_odd_raddr;
    wire [63:0]       imem_rdata;
    wire [WW_BITS-1:0] wmem_rdata, mac_w;
    wire [AW_BITS-1:0] even_rdata, odd_rdata, mac_a;
    wire              al_en, al_valid, al_swap, al_lo_ok, al_hi_ok;
    wire [LR-1:0]     al_off;
    wire [ROWS-1:0]   al_mask;
    wire              mac_step, mac_first, mac_last;
    wire              cap, cap_ok, drain_quiet, acc_mode;
    wire [TW-1:0]     cap_tile, tiles;
    wire [15:0]       cap_oaddr, ostride, scale;
    wire [6:0]        cap_ncols;
    wire [COLS*15-1:0] cap_bias;
    wire [4:0]        shift;
    wire [19:0]       hw, howo;
    wire [ROWS-1:0]   cap_keep;
    wire              stride2;

    spw_sequencer #(
        .ROWS(ROWS), .COLS(COLS), .ADEPTH(ADEPTH), .WDEPTH(WDEPTH), .IDEPTH(IDEPTH)
    ) u_seq (
        .clk_i(clk_i), .rst_ni(rst_ni),
        .start_i(start), .start_pc_i(start_pc), .busy_o(busy), .done_o(done),
        .err_code_o(err_code), .err_pc_o(err_pc),
        .perf_cycles_o(perf_cycles), .perf_mac_busy_o(perf_mac_busy),
        .perf_skipped_o(perf_skipped), .perf_stall_o(perf_stall),
        .imem_req_o(s_imem_req), .imem_addr_o(s_imem_addr), .imem_rdata_i(imem_rdata),
        .wmem_req_o(s_wmem_req), .wmem_addr_o(s_wmem_addr), .wmem_rdata_i(wmem_rdata), .mac_w_o(mac_w),
        .amem_even_re_o(s_even_re), .amem_even_raddr_o(s_even_raddr),
        .amem_odd_re_o(s_odd_re), .amem_odd_raddr_o(s_odd_raddr),
        .al_en_o(al_en), .al_valid_o(al_valid), .al_swap_o(al_swap), .al_lo_ok_o(al_lo_ok),
        .al_hi_ok_o(al_hi_ok), .al_off_o(al_off), .al_mask_o(al_mask),
        .mac_step_o(mac_step), .mac_first_o(mac_first), .mac_last_o(mac_last),
        .cap_o(cap), .cap_tile_o(cap_tile), .cap_oaddr_o(cap_oaddr), .cap_ncols_o(cap_ncols),
        .cap_bias_o(cap_bias), .ostride_o(ostride), .acc_mode_o(acc_mode), .scale_o(scale),
        .shift_o(shift), .hw_o(hw), .tiles_o(tiles),
        .cap_keep_o(cap_keep), .stride2_o(stride2), .howo_o(howo),
        .cap_ok_i(cap_ok), .drain_quiet_i(drain_quiet)
    );

    // ------------------------------------------------------------------
    // Memories: the sequencer while busy, the host otherwise
    // ------------------------------------------------------------------
    wire h_imem = h_req && h_sel == `SPW_SEL_IMEM;
    wire h_wmem = h_req && h_sel == `SPW_SEL_WMEM;
    wire h_amem = h_req && h_sel == `SPW_SEL_AMEM;
    wire h_bank = h_addr[0];                 // AMem word parity selects the bank

    spw_sram_1p #(.WIDTH(64), .DEPTH(IDEPTH), .INIT_FILE(IMEM_INIT)) u_imem (
        .clk_i(clk_i),
        .req_i(busy ? s_imem_req : h_imem),
        .we_i(!busy && h_we),
        .addr_i(busy ? s_imem_addr : h_addr[IAW-1:0]),
        .wdata_i(h_wdata_w[63:0]),
        .wmask_i(h_wmask_w[63:0]),
        .rdata_o(imem_rdata)
    );

    spw_sram_1p #(.WIDTH(WW_BITS), .DEPTH(WDEPTH), .INIT_FILE(WMEM_INIT)) u_wmem (
        .clk_i(clk_i),
        .req_i(busy ? s_wmem_req : h_wmem),
        .we_i(!busy && h_we),
        .addr_i(busy ? s_wmem_addr : h_addr[WAW-1:0]),
        .wdata_i(h_wdata_w[WW_BITS-1:0]),
        .wmask_i(h_wmask_w[WW_BITS-1:0]),
        .rdata_o(wmem_rdata)
    );

    // drain writes
    wire               rq_valid, d_valid;
    wire [14:0]        rq_bias;
    wire [2:0]         rq_nib;
    wire [ROWS-1:0]    rq_pad;
    wire [AAW-1:0]     rq_addr, d_addr;
    wire [AW_BITS-1:0] d_word, d_word_hi;
    wire [ROWS-1:0]    rq_keep, rq_lo, rq_hi, d_lo, d_hi;
    wire [ROWS*LR-1:0] rq_dest;
    wire [LC-1:0]      rd_col;
    wire [ROWS*ACC_W-1:0] rd_data;

    wire h_amem_rd = !busy && h_amem && !h_we;
    wire h_amem_wr = !busy && h_amem && h_we;

    // A drain write covers lanes d_lo of word d_addr and lanes d_hi of word
    // d_addr + 1 (stride 2; with stride 1 d_hi is empty).  The two words lie
    // in different banks: the even bank holds d_addr + 1 when d_addr is odd,
    // and its row is (d_addr + 1) >> 1 either way; the odd bank's is d_addr >> 1.
    // A bank with no lane to write is not written.  Word d_addr + 1 gets
    // d_word_hi: its lanes the word d_addr writes are cleared, for the
    // output's padding lanes.
    function [AW_BITS-1:0] lane_bits;
        input [ROWS-1:0] lanes;
        integer l;
        begin
            for (l = 0; l < ROWS; l = l + 1)
                lane_bits[4*l +: 4] = {4{lanes[l]}};
        end
    endfunction
    wire [ROWS-1:0]    d_even_lanes = d_addr[0] ? d_hi : d_lo;
    wire [ROWS-1:0]    d_odd_lanes  = d_addr[0] ? d_lo : d_hi;
    wire [BAW-1:0]     d_even_row   = d_addr[BAW:1] + {{(BAW-1){1'b0}}, d_addr[0]};
    wire [AW_BITS-1:0] d_even_word  = d_addr[0] ? d_word_hi : d_word;
    wire [AW_BITS-1:0] d_odd_word   = d_addr[0] ? d_word : d_word_hi;
    wire               d_even_we    = d_valid && d_even_lanes != {ROWS{1'b0}};
    wire               d_odd_we     = d_valid && d_odd_lanes != {ROWS{1'b0}};

    spw_sram_1r1w #(.WIDTH(AW_BITS), .DEPTH(ADEPTH / 2), .INIT_FILE(AMEM_EVEN_INIT)) u_amem_even (
        .clk_i(clk_i),
        .re_i(busy ? s_even_re : (h_amem_rd && !h_bank)),
        .raddr_i(busy ? s_even_raddr : h_addr[BAW:1]),
        .rdata_o(even_rdata),
        .we_i(busy ? d_even_we : (h_amem_wr && !h_bank)),
        .waddr_i(busy ? d_even_row : h_addr[BAW:1]),
        .wdata_i(busy ? d_even_word : h_wdata_w[AW_BITS-1:0]),
        .wmask_i(busy ? lane_bits(d_even_lanes) : h_wmask_w[AW_BITS-1:0])
    );

    spw_sram_1r1w #(.WIDTH(AW_BITS), .DEPTH(ADEPTH / 2), .INIT_FILE(AMEM_ODD_INIT)) u_amem_odd (
        .clk_i(clk_i),
        .re_i(busy ? s_odd_re : (h_amem_rd && h_bank)),
        .raddr_i(busy ? s_odd_raddr : h_addr[BAW:1]),
        .rdata_o(odd_rdata),
        .we_i(busy ? d_odd_we : (h_amem_wr && h_bank)),
        .waddr_i(busy ? d_addr[BAW:1] : h_addr[BAW:1]),
        .wdata_i(busy ? d_odd_word : h_wdata_w[AW_BITS-1:0]),
        .wmask_i(busy ? lane_bits(d_odd_lanes) : h_wmask_w[AW_BITS-1:0])
    );

    // host read data: the slot of the word read in the previous cycle
    reg [1:0] h_sel_q;
    reg [1:0] h_slot_q;
    reg       h_bank_q;
    always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
            h_sel_q <= 2'd0;
            h_slot_q <= 2'd0;
            h_bank_q <= 1'b0;
        end else if (h_req) begin
            h_sel_q <= h_sel;
            h_slot_q <= h_slot;
            h_bank_q <= h_bank;
        end
    end
    reg [127:0] h_word;
    always @* begin
        h_word = 128'd0;
        case (h_sel_q)
            `SPW_SEL_AMEM: h_word[AW_BITS-1:0] = h_bank_q ? odd_rdata : even_rdata;
            `SPW_SEL_WMEM: h_word[WW_BITS-1:0] = wmem_rdata;
            default:       h_word[63:0] = imem_rdata;
        endcase
        // slot s is bits [32s+31:32s]
        h_rdata = h_word[{h_slot_q, 5'b00000} +: 32];
    end

    // ------------------------------------------------------------------
    // Datapath: aligner -> MAC array -> drain -> requantizer -> AMem
    // ------------------------------------------------------------------
    wire unused_al_valid;   // the sequencer's own side band marks valid steps
    spw_aligner #(.ROWS(ROWS)) u_aligner (
        .clk_i(clk_i), .rst_ni(rst_ni), .en_i(al_en), .valid_i(al_valid), .swap_i(al_swap),
        .lo_ok_i(al_lo_ok), .hi_ok_i(al_hi_ok), .off_i(al_off), .mask_i(al_mask),
        .even_i(even_rdata), .odd_i(odd_rdata), .valid_o(unused_al_valid), .a_o(mac_a)
    );

    spw_mac_array #(.ROWS(ROWS), .COLS(COLS), .ACC_W(ACC_W)) u_array (
        .clk_i(clk_i), .rst_ni(rst_ni), .step_i(mac_step), .first_i(mac_first), .last_i(mac_last),
        .a_i(mac_a), .w_i(mac_w), .rd_col_i(rd_col), .rd_data_o(rd_data)
    );

    spw_drain #(.ROWS(ROWS), .COLS(COLS), .ADEPTH(ADEPTH)) u_drain (
        .clk_i(clk_i), .rst_ni(rst_ni), .cap_i(cap), .cap_tile_i(cap_tile), .cap_oaddr_i(cap_oaddr),
        .cap_ncols_i(cap_ncols), .cap_bias_i(cap_bias), .ostride_i(ostride), .acc_mode_i(acc_mode),
        .hw_i(hw), .tiles_i(tiles), .cap_keep_i(cap_keep), .stride2_i(stride2), .howo_i(howo),
        .cap_ok_o(cap_ok), .quiet_o(drain_quiet), .rd_col_o(rd_col),
        .rq_valid_o(rq_valid), .rq_bias_o(rq_bias), .rq_nib_o(rq_nib), .rq_pad_o(rq_pad),
        .rq_addr_o(rq_addr), .rq_keep_o(rq_keep), .rq_dest_o(rq_dest), .rq_lo_o(rq_lo), .rq_hi_o(rq_hi)
    );

    spw_requant #(.ROWS(ROWS), .ACC_W(ACC_W), .ADDR_W(AAW)) u_requant (
        .clk_i(clk_i), .rst_ni(rst_ni), .valid_i(rq_valid), .col_i(rd_data), .bias_i(rq_bias),
        .scale_i(scale), .shift_i(shift), .acc_mode_i(acc_mode), .nib_i(rq_nib), .pad_i(rq_pad),
        .addr_i(rq_addr), .keep_i(rq_keep), .dest_i(rq_dest), .lo_i(rq_lo), .hi_i(rq_hi),
        .valid_o(d_valid), .addr_o(d_addr), .word_o(d_word), .word_hi_o(d_word_hi),
        .lo_o(d_lo), .hi_o(d_hi)
    );
endmodule

`default_nettype wire
